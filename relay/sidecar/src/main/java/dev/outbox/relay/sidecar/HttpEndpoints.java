package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import dev.outbox.core.internal.JsonFactories;
import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayStats;
import dev.outbox.relay.internal.LogFields;
import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.ops.QueueState;
import jakarta.json.JsonObjectBuilder;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

/**
 * The sidecar's HTTP endpoints ({@link ProbeServer}; GET and HEAD):
 * <ul>
 *   <li>{@code /health}: 200 {@code {"status":"UP"}} while the process runs (liveness);</li>
 *   <li>{@code /ready}: 200 when the relay is {@link RelayState.Phase#RUNNING running}, connected and
 *       owns slots, and the last database check passed; else 503 naming the failed check, the
 *       relay's state ({@code "transport paused since …, last error: …"}) and the database's
 *       error (readiness);</li>
 *   <li>{@code /metrics}: Prometheus text format 0.0.4 (see {@link PrometheusMetrics});</li>
 *   <li>{@code /console}: the operator console ({@link Console}), unless disabled.</li>
 * </ul>
 * Other paths answer 404, other methods 405.
 *
 * <p><b>No request waits for the database.</b> A background thread checks it ({@code SELECT 1})
 * every {@link #REFRESH_INTERVAL} and, while {@code /metrics} is being scraped, reads the outbox
 * gauges every {@link #GAUGE_INTERVAL} (they count the backlog: not free with a large one, so
 * not read for nobody); requests answer from its last reading. While the database hangs or is down that thread waits (up to the pool's connection
 * timeout), the reading grows old, and after {@link #STALE_AFTER} the database counts as down:
 * {@code /ready} answers 503 and {@code /metrics} reports {@code outbox_database_up 0} with the
 * gauges' age. So {@code /health} answers in microseconds and {@code /ready} and
 * {@code /metrics} in well under a second whatever the database does.
 */
public final class HttpEndpoints implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.outbox.relay.sidecar");
    /** How often the database is checked and the gauges are read. */
    static final Duration REFRESH_INTERVAL = Duration.ofSeconds(1);
    /** A reading older than this means the database does not answer (the check is stuck). */
    static final Duration STALE_AFTER = Duration.ofSeconds(3);
    /** How often the outbox gauges are read while someone scrapes {@code /metrics}. */
    static final Duration GAUGE_INTERVAL = Duration.ofSeconds(5);
    /** Without a scrape for this long, the gauges are no longer read. */
    static final Duration SCRAPED_RECENTLY = Duration.ofMinutes(5);
    private static final int CHECK_QUERY_TIMEOUT_SECONDS = 2;
    private static final String JSON = "application/json";

    private final ProbeServer server;
    private final Readings readings;
    private final Supplier<RelayStats> stats;
    private final Console console;

    private HttpEndpoints(ProbeServer server, Readings readings, Supplier<RelayStats> stats, Console console) {
        this.server = server;
        this.readings = readings;
        this.stats = stats;
        this.console = console;
    }

    /**
     * What the console needs; {@code null} in its place disables it ({@code /console} answers 404).
     *
     * @param token the token that enables actions, {@code null} for a read-only console
     */
    record ConsoleOptions(String token, Clock clock) {
    }

    /**
     * Binds, starts the server and the database check.
     *
     * @param port 0 for any free port (see {@link #port()})
     * @param redact removes configured secrets from database error messages
     * @throws IOException if the address cannot be bound (port in use)
     */
    static HttpEndpoints start(String host, int port, DataSource dataSource, Supplier<RelayStats> stats,
                               String schema, UnaryOperator<String> redact) throws IOException {
        return start(host, port, dataSource, stats, schema, redact, null);
    }

    /**
     * As {@link #start(String, int, DataSource, Supplier, String, UnaryOperator)}, with the console.
     *
     * @param console the console's options, {@code null} without a console
     */
    static HttpEndpoints start(String host, int port, DataSource dataSource, Supplier<RelayStats> stats,
                               String schema, UnaryOperator<String> redact, ConsoleOptions console) throws IOException {
        Operations operations = Operations.create(dataSource, schema);
        Readings readings = new Readings(dataSource, operations, redact);
        HttpEndpoints[] endpoints = new HttpEndpoints[1];
        ProbeServer server = ProbeServer.start(host, port, request -> endpoints[0].handle(request));
        Console started = null;
        try {
            started = console == null ? null : Console.start(operations, stats, console.token(), redact, console.clock());
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        endpoints[0] = new HttpEndpoints(server, readings, stats, started);
        readings.start();
        return endpoints[0];
    }

    /** The bound port (the actual one when started with port 0). */
    public int port() {
        return server.port();
    }

    /** Stops at once: on shutdown a cut-off scrape is harmless. */
    @Override
    public void close() {
        try {
            server.close();
        } finally {
            try {
                readings.close();
            } finally {
                if (console != null) {
                    console.close();
                }
            }
        }
    }

    private CompletionStage<ProbeServer.Response> handle(ProbeServer.Request request) {
        String path = request.path();
        if (console != null && (path.equals(Console.PREFIX) || path.startsWith(Console.PREFIX + "/"))) {
            return console.handle(request);
        }
        return probe(request.method(), path).done();
    }

    private ProbeServer.Response probe(String method, String path) {
        if (!path.equals("/health") && !path.equals("/ready") && !path.equals("/metrics")) {
            return ProbeServer.Response.of(404, JSON, "{\"error\":\"not found\"}");
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return ProbeServer.Response.of(405, JSON, "{\"error\":\"method not allowed\"}").with("Allow", "GET, HEAD");
        }
        return switch (path) {
            case "/health" -> ProbeServer.Response.of(200, JSON, "{\"status\":\"UP\"}");
            case "/ready" -> ready();
            default -> {
                readings.scraped();
                Reading reading = readings.last();
                long now = System.nanoTime();
                yield ProbeServer.Response.of(200, PrometheusMetrics.CONTENT_TYPE, PrometheusMetrics.render(stats.get(),
                        reading.queue(), reading.databaseUp(now), reading.queueAgeSeconds(now)));
            }
        };
    }

    private ProbeServer.Response ready() {
        RelayStats relay = stats.get();
        String database = readings.last().databaseProblem(System.nanoTime());
        boolean relayReady = relay.ready();
        boolean up = database == null && relayReady;
        JsonObjectBuilder body = JsonFactories.objectBuilder()
                .add("status", up ? "UP" : "DOWN")
                .add("checks", JsonFactories.objectBuilder()
                        .add("database", database == null ? "UP" : "DOWN")
                        .add("relay", relayReady ? "UP" : "DOWN"))
                .add("relay_state", relay.state().phase().name())
                .add("relay", relay.state().describe());
        if (database != null) {
            body.add("database_error", database);
        }
        if (!relayReady) {
            body.add("relay_error", relay.state().phase() != RelayState.Phase.RUNNING ? relay.state().describe()
                    : "the relay has no database session or owns no slot yet");
        }
        return ProbeServer.Response.of(up ? 200 : 503, JSON, body.build().toString());
    }

    /**
     * The last database check and gauge reading.
     *
     * @param checkedAt {@link System#nanoTime()} when the last check ended, or {@code null} before the first
     * @param error why the last check failed, {@code null} when it passed
     * @param queue the gauges of the last successful reading, {@code null} if none succeeded yet
     * @param queueReadAt {@link System#nanoTime()} of that reading
     */
    private record Reading(Long checkedAt, String error, QueueState queue, long queueReadAt) {
        static final Reading NONE = new Reading(null, null, null, 0);

        /** {@code null} when the database answered recently, else why it counts as down. */
        String databaseProblem(long now) {
            if (checkedAt == null) {
                return "no answer from the database yet (checking)";
            }
            if (now - checkedAt > STALE_AFTER.toNanos()) {
                return "no answer from the database for " + (now - checkedAt) / 1_000_000_000 + "s"
                        + (error == null ? "" : "; last error: " + error);
            }
            return error;
        }

        boolean databaseUp(long now) {
            return databaseProblem(now) == null;
        }

        /** Age of {@link #queue} in seconds, or -1 when there is none. */
        double queueAgeSeconds(long now) {
            return queue == null ? -1 : (now - queueReadAt) / 1e9;
        }
    }

    /** The background thread that checks the database and reads the gauges, so that requests never wait. */
    private static final class Readings implements AutoCloseable {
        private final DataSource dataSource;
        private final Operations operations;
        private final UnaryOperator<String> redact;
        private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "outbox-relay-db-check");
            t.setDaemon(true);
            return t;
        });
        private volatile Reading last = Reading.NONE;
        private volatile boolean running = true;
        private volatile long lastScrape = System.nanoTime() - SCRAPED_RECENTLY.toNanos();

        Readings(DataSource dataSource, Operations operations, UnaryOperator<String> redact) {
            this.dataSource = dataSource;
            this.operations = operations;
            this.redact = redact;
        }

        void start() {
            // With a fixed delay: a check stuck on the database delays the next one instead of piling up.
            thread.scheduleWithFixedDelay(this::refresh, 0, REFRESH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }

        Reading last() {
            return last;
        }

        void scraped() {
            lastScrape = System.nanoTime();
        }

        private void refresh() {
            String error = check();
            QueueState queue = last.queue();
            long queueReadAt = last.queueReadAt();
            long now = System.nanoTime();
            boolean wanted = now - lastScrape < SCRAPED_RECENTLY.toNanos()
                    && (queue == null || now - queueReadAt >= GAUGE_INTERVAL.toNanos());
            if (error == null && wanted) {
                try {
                    queue = operations.queue();
                    queueReadAt = System.nanoTime();
                } catch (OutboxException e) {
                    // The database answers but the outbox cannot be read (schema, grants): /ready says why.
                    error = redact.apply(e.getMessage());
                }
            }
            if (running) {
                last = new Reading(System.nanoTime(), error, queue, queueReadAt);
            }
        }

        /** {@code null} when {@code SELECT 1} answers, else the database's own reason (SQLState and message). */
        private String check() {
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.setQueryTimeout(CHECK_QUERY_TIMEOUT_SECONDS);
                s.execute("SELECT 1");
                return null;
            } catch (SQLException e) {
                return redact.apply(rootCause(e));
            } catch (RuntimeException e) {
                // Not the database's answer but a bug; logged, and the scheduled check must go on.
                LOG.log(Level.WARNING, "database check failed {0}", LogFields.of("error", redact.apply(String.valueOf(e))));
                return redact.apply(String.valueOf(e));
            }
        }

        /**
         * The innermost SQL error: the pool's "connection is not available" wraps the driver's
         * actual reason (refused, 28P01 wrong password, 3D000 unknown database, …).
         */
        static String rootCause(SQLException e) {
            SQLException root = e;
            for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
                if (t instanceof SQLException sql && sql.getSQLState() != null) {
                    root = sql;
                }
            }
            return "SQLState " + root.getSQLState() + ": " + root.getMessage();
        }

        @Override
        public void close() {
            running = false;
            thread.shutdownNow();
        }
    }
}
