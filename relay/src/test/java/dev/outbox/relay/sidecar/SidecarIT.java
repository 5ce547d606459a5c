package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.transport.log.LogTransportFactory;
import dev.outbox.testing.Await;
import dev.outbox.testing.TestDatabase;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code relay run} in-process against a real database, with the log transport writing to a captured stream. */
class SidecarIT {
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Pattern HTTP_PORT = Pattern.compile("\"http_port\":(\\d+)");

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();
    private static TestDatabase db;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void database() {
        db = FIXTURE.db();
    }

    @Test
    void deliversEventsServesHealthReadyAndMetricsAndReleasesItsSlotsOnStop() throws Exception {
        ByteArrayOutputStream events = new ByteArrayOutputStream();
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        CountDownLatch stop = new CountDownLatch(1);
        SidecarContext context = new SidecarContext(Map.of(
                "OUTBOX_JDBC_URL", db.jdbcUrl(),
                "OUTBOX_HTTP_HOST", "127.0.0.1",
                "OUTBOX_HTTP_PORT", "0",
                "OUTBOX_INSTANCE_NAME", "sidecar-it",
                "OUTBOX_MAX_POLL_INTERVAL", "50ms",
                "OUTBOX_REBALANCE_INTERVAL", "50ms",
                "OUTBOX_LOG_FORMAT", "json"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(logs, true, StandardCharsets.UTF_8),
                List.of(new LogTransportFactory(new PrintStream(events, true, StandardCharsets.UTF_8))), stop);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> exit = thread.submit(() -> Main.execute(new String[] {"run"}, context));

            int port = Integer.parseInt(await("the start line with the HTTP port", () -> {
                Matcher m = HTTP_PORT.matcher(logs.toString(StandardCharsets.UTF_8));
                return m.find() ? m.group(1) : null;
            }));
            assertThat(get(port, "/health").statusCode()).isEqualTo(200);
            assertThat(get(port, "/health").body()).isEqualTo("{\"status\":\"UP\"}");
            await("/ready to answer 200", () -> get(port, "/ready").statusCode() == 200 ? "ready" : null);

            for (int i = 1; i <= 3; i++) {
                db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                        + " VALUES ('Order', 'o-" + i + "', 'OrderPlaced', '{\"n\": " + i + "}')");
            }

            await("three delivered events", () -> lines(events).size() == 3 ? "done" : null);
            JsonObject first = parse(lines(events).stream().filter(l -> l.contains("\"o-1\"")).findFirst().orElseThrow());
            assertThat(first.getString("type")).isEqualTo("OrderPlaced");
            assertThat(first.getJsonObject("payload").getInt("n")).isEqualTo(1);
            await("all events marked published", () ->
                    db.queryLong("SELECT count(*) FROM outbox.event WHERE published_at IS NULL") == 0 ? "done" : null);
            String metrics = await("metrics with published counter and empty backlog", () -> {
                String body = get(port, "/metrics").body();
                return body.contains("\noutbox_relay_published_total 3\n") && body.contains("\noutbox_backlog_events 0\n")
                        ? body : null;
            });
            assertThat(metrics).contains("# TYPE outbox_relay_published_total counter",
                    "outbox_relay_batch_duration_seconds_bucket{le=\"+Inf\"}", "outbox_dead_events 0",
                    "outbox_oldest_undelivered_age_seconds 0", "outbox_relay_slots_owned 64");
            assertThat(get(port, "/metrics").headers().firstValue("Content-Type"))
                    .hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(get(port, "/nothing-here").statusCode()).isEqualTo(404);
            assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(405);

            stop.countDown();

            assertThat(exit.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Main.EXIT_OK);
            assertThat(db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    + " AND database = (SELECT oid FROM pg_database WHERE datname = '" + db.name() + "')")).isZero();
            assertThat(logs.toString(StandardCharsets.UTF_8)).contains("sidecar stopped");
        } finally {
            stop.countDown();
            thread.shutdownNow();
            ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, System.Logger.Level.INFO, null);
        }
    }

    @Test
    void readinessFailsWhileTheRelayOwnsNoSlots() throws Exception {
        // Another session holds every slot lock, so this relay cannot take any.
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        CountDownLatch stop = new CountDownLatch(1);
        SidecarContext context = new SidecarContext(Map.of("OUTBOX_JDBC_URL", db.jdbcUrl(),
                "OUTBOX_HTTP_HOST", "127.0.0.1", "OUTBOX_HTTP_PORT", "0", "OUTBOX_LOG_FORMAT", "json",
                "OUTBOX_REBALANCE_INTERVAL", "50ms"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(logs, true, StandardCharsets.UTF_8),
                List.of(new LogTransportFactory(new PrintStream(new ByteArrayOutputStream(), true,
                        StandardCharsets.UTF_8))), stop);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (var holder = db.connect(); var s = holder.createStatement()) {
            int slotClass = ("outbox" + ".relay.slot").hashCode() & 0x7fffffff;
            s.execute("SELECT pg_advisory_lock(" + slotClass + ", g) FROM generate_series(0, 63) g");
            Future<Integer> exit = thread.submit(() -> Main.execute(new String[] {"run"}, context));
            int port = Integer.parseInt(await("the start line with the HTTP port", () -> {
                Matcher m = HTTP_PORT.matcher(logs.toString(StandardCharsets.UTF_8));
                return m.find() ? m.group(1) : null;
            }));

            HttpResponse<String> ready = get(port, "/ready");

            assertThat(ready.statusCode()).isEqualTo(503);
            JsonObject body = parse(ready.body());
            assertThat(body.getJsonObject("checks").getString("database")).isEqualTo("UP");
            assertThat(body.getJsonObject("checks").getString("relay")).isEqualTo("DOWN");
            stop.countDown();
            assertThat(exit.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Main.EXIT_OK);
        } finally {
            stop.countDown();
            thread.shutdownNow();
            ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, System.Logger.Level.INFO, null);
        }
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> lines(ByteArrayOutputStream stream) {
        return stream.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private static JsonObject parse(String json) {
        try (var reader = Json.createReader(new StringReader(json))) {
            return reader.readObject();
        }
    }

    /** Polls until the probe returns non-null, failing after the deadline. */
    private static <T> T await(String what, Callable<T> probe) {
        return Await.awaitValue(what, DEADLINE, probe);
    }

}
