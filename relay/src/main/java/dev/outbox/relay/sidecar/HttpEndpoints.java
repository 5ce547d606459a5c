package dev.outbox.relay.sidecar;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.outbox.core.OutboxException;
import dev.outbox.relay.RelayStats;
import dev.outbox.relay.internal.LogFields;
import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.ops.QueueState;
import jakarta.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * The sidecar's HTTP endpoints, on the JDK's built-in server (no extra dependency):
 * <ul>
 *   <li>{@code GET /health}: 200 {@code {"status":"UP"}} while the process runs (liveness);</li>
 *   <li>{@code GET /ready}: 200 when a pooled connection answers {@code SELECT 1} and the relay
 *       holds slots, else 503 naming the failed check (readiness);</li>
 *   <li>{@code GET /metrics}: Prometheus text format 0.0.4 (see {@link PrometheusMetrics}).</li>
 * </ul>
 * Other paths answer 404, other methods 405. Started by {@code relay run}; a database failure
 * during a request makes {@code /ready} 503 and leaves the database gauges out of {@code /metrics},
 * it never fails the request or the process.
 */
public final class HttpEndpoints implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.outbox.relay.sidecar");
    private static final int READY_QUERY_TIMEOUT_SECONDS = 2;

    private final HttpServer server;
    private final ExecutorService executor;
    private final DataSource dataSource;
    private final Supplier<RelayStats> stats;
    private final Operations operations;

    private HttpEndpoints(HttpServer server, DataSource dataSource, Supplier<RelayStats> stats, String schema) {
        this.server = server;
        this.dataSource = dataSource;
        this.stats = stats;
        this.operations = Operations.create(dataSource, schema);
        // Two threads: a slow database behind /metrics must not block /health.
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "outbox-relay-http");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Binds and starts the server.
     *
     * @param port 0 for any free port (see {@link #port()})
     * @throws IOException if the address cannot be bound (port in use)
     */
    public static HttpEndpoints start(String host, int port, DataSource dataSource, Supplier<RelayStats> stats,
                                      String schema) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        HttpEndpoints endpoints = new HttpEndpoints(server, dataSource, stats, schema);
        server.createContext("/", endpoints::handle);
        server.setExecutor(endpoints.executor);
        server.start();
        return endpoints;
    }

    /** The bound port (the actual one when started with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops at once: on shutdown a cut-off scrape is harmless, and JDK 17's stop(n) waits the full n seconds. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!path.equals("/health") && !path.equals("/ready") && !path.equals("/metrics")) {
                send(exchange, 404, "application/json", "{\"error\":\"not found\"}");
                return;
            }
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET");
                send(exchange, 405, "application/json", "{\"error\":\"method not allowed\"}");
                return;
            }
            switch (path) {
                case "/health" -> send(exchange, 200, "application/json", "{\"status\":\"UP\"}");
                case "/ready" -> ready(exchange);
                default -> send(exchange, 200, PrometheusMetrics.CONTENT_TYPE,
                        PrometheusMetrics.render(stats.get(), queue()));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "http request failed {0}", LogFields.of("error", String.valueOf(e)));
            throw e;
        }
    }

    private void ready(HttpExchange exchange) throws IOException {
        String database = databaseCheck();
        boolean relayReady = stats.get().ready();
        boolean up = database == null && relayReady;
        var body = Json.createObjectBuilder()
                .add("status", up ? "UP" : "DOWN")
                .add("checks", Json.createObjectBuilder()
                        .add("database", database == null ? "UP" : "DOWN")
                        .add("relay", relayReady ? "UP" : "DOWN"));
        if (database != null) {
            body.add("database_error", database);
        }
        if (!relayReady) {
            body.add("relay_error", "the relay has no database session or owns no slot yet");
        }
        send(exchange, up ? 200 : 503, "application/json", body.build().toString());
    }

    /** {@code null} when the database answers, else why not (SQLState only: messages may quote the URL). */
    private String databaseCheck() {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(READY_QUERY_TIMEOUT_SECONDS);
            s.execute("SELECT 1");
            return null;
        } catch (SQLException e) {
            return "database unreachable (SQLState " + e.getSQLState() + ")";
        }
    }

    private QueueState queue() {
        try {
            return operations.queue();
        } catch (OutboxException e) {
            LOG.log(Level.DEBUG, "outbox gauges unavailable {0}", LogFields.of("error", e.getMessage()));
            return null;
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
