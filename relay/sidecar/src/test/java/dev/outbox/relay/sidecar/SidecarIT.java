package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.transport.log.LogTransportFactory;
import dev.outbox.testing.Await;
import dev.outbox.testing.TestDatabase;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
            // The engine's records keep their fields as JSON fields. (That the relay process does not
            // send them through SLF4J is checked on the real process: SLF4J may already be set up in
            // this test JVM before the sidecar selects its provider.)
            JsonObject connected = parse(logs.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.contains("relay connected")).findFirst().orElseThrow());
            assertThat(connected.getString("instance")).isEqualTo("sidecar-it");
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

            // The database is checked in the background: wait for its first answer.
            HttpResponse<String> ready = await("the database check to pass", () -> {
                HttpResponse<String> r = get(port, "/ready");
                return parse(r.body()).getJsonObject("checks").getString("database").equals("UP") ? r : null;
            });

            assertThat(ready.statusCode()).isEqualTo(503);
            JsonObject body = parse(ready.body());
            assertThat(body.getJsonObject("checks").getString("relay")).isEqualTo("DOWN");
            stop.countDown();
            assertThat(exit.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Main.EXIT_OK);
        } finally {
            stop.countDown();
            thread.shutdownNow();
            ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, System.Logger.Level.INFO, null);
        }
    }

    @Test
    void slowClientsHoldingConnectionsOpenCannotStarveTheProbes() throws Exception {
        try (Running sidecar = startSidecar(db.jdbcUrl())) {
            await("/ready to answer 200", () -> get(sidecar.port(), "/ready").statusCode() == 200 ? "ready" : null);
            probe(sidecar.port(), "GET", "/health"); // warm up: the first request loads classes
            List<Socket> slow = new ArrayList<>();
            try {
                // Requests that never finish: two blocked the JDK server's two threads; 200 exceed the connection cap.
                for (int i = 0; i < 200; i++) {
                    Socket socket = new Socket("127.0.0.1", sidecar.port());
                    socket.getOutputStream().write("GET /health HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                    slow.add(socket);
                }
                List<Long> millis = new ArrayList<>();
                for (int i = 0; i < 9; i++) {
                    Probe health = probe(sidecar.port(), "GET", "/health");
                    assertThat(health.status()).isEqualTo(200);
                    millis.add(health.millis());
                }
                assertAnswerTimes("/health with 200 slow connections open", millis, 100);
                assertThat(probe(sidecar.port(), "GET", "/ready").status()).isEqualTo(200);
                assertThat(probe(sidecar.port(), "GET", "/metrics").body()).contains("outbox_relay_published_total");
            } finally {
                for (Socket socket : slow) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void probesAnswerInTimeWithTheDatabaseUnreachable() throws Exception {
        int closedPort;
        try (ServerSocket free = new ServerSocket(0)) {
            closedPort = free.getLocalPort();
        }
        try (Running sidecar = startSidecar("jdbc:postgresql://127.0.0.1:" + closedPort + "/nowhere?user=x")) {
            probe(sidecar.port(), "GET", "/health"); // warm up
            // Over a few seconds, so that the pool's 5 s connection wait is under way for part of it.
            List<Long> health = new ArrayList<>();
            List<Long> ready = new ArrayList<>();
            List<Long> metrics = new ArrayList<>();
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
                Probe h = probe(sidecar.port(), "GET", "/health");
                assertThat(h.status()).isEqualTo(200);
                health.add(h.millis());
                Probe r = probe(sidecar.port(), "GET", "/ready");
                assertThat(r.status()).isEqualTo(503);
                ready.add(r.millis());
                Probe m = probe(sidecar.port(), "GET", "/metrics");
                assertThat(m.status()).isEqualTo(200);
                assertThat(m.body()).contains("\noutbox_database_up 0\n").doesNotContain("outbox_backlog_events");
                metrics.add(m.millis());
            }
            assertAnswerTimes("/health, database unreachable", health, 100);
            assertAnswerTimes("/ready, database unreachable", ready, 1000);
            assertAnswerTimes("/metrics, database unreachable", metrics, 1000);
            // The relay's own state may name the cause before the background check's first answer.
            JsonObject body = await("the database check's cause in /ready", () -> {
                JsonObject answer = parse(probe(sidecar.port(), "GET", "/ready").body());
                return answer.getString("database_error", "").contains("SQLState") ? answer : null;
            });
            assertThat(body.getJsonObject("checks").getString("database")).isEqualTo("DOWN");
            assertThat(body.getString("database_error")).contains("SQLState 08001").contains("refused");
        }
    }

    @Test
    void headAnswersLikeGetWithoutABody() throws Exception {
        try (Running sidecar = startSidecar(db.jdbcUrl())) {
            await("/ready to answer 200", () -> get(sidecar.port(), "/ready").statusCode() == 200 ? "ready" : null);
            for (String path : List.of("/health", "/ready", "/metrics")) {
                Probe get = probe(sidecar.port(), "GET", path);
                Probe head = probe(sidecar.port(), "HEAD", path);
                assertThat(head.status()).as(path).isEqualTo(get.status());
                assertThat(head.headers()).as(path).contains("Content-Type: ").contains("Content-Length: ");
                assertThat(head.body()).as(path).isEmpty();
            }
            assertThat(probe(sidecar.port(), "HEAD", "/nothing-here").status()).isEqualTo(404);
            Probe post = probe(sidecar.port(), "POST", "/health");
            assertThat(post.status()).isEqualTo(405);
            assertThat(post.headers()).contains("Allow: GET, HEAD");
        }
    }

    /**
     * The targets (100 ms for /health, 1 s for /ready and /metrics) hold for the median; on
     * this shared 2-core machine a single answer may miss them by a scheduler slice, so no single
     * answer may take more than a second either: a server that waits on a slow client or on the
     * database takes seconds or never answers.
     */
    private static void assertAnswerTimes(String what, List<Long> millis, long targetMillis) {
        List<Long> sorted = millis.stream().sorted().toList();
        String summary = what + ": " + sorted.size() + " answers, median " + sorted.get(sorted.size() / 2)
                + " ms, slowest " + sorted.get(sorted.size() - 1) + " ms";
        System.out.println(summary);
        assertThat(sorted.get(sorted.size() / 2)).as(summary).isLessThan(targetMillis);
        assertThat(sorted.get(sorted.size() - 1)).as(summary).isLessThan(Math.max(targetMillis, 1000));
    }

    /** One request on a raw socket: status, head, body and how long the answer took. */
    private record Probe(int status, String headers, String body, long millis) {
    }

    private static Probe probe(int port, String method, String path) throws IOException {
        long start = System.nanoTime();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            long millis = (System.nanoTime() - start) / 1_000_000;
            int split = response.indexOf("\r\n\r\n");
            assertThat(split).as("a complete HTTP response: %s", response).isPositive();
            return new Probe(Integer.parseInt(response.substring(9, 12)), response.substring(0, split),
                    response.substring(split + 4), millis);
        }
    }

    /** {@code relay run} in this JVM with the log transport, HTTP on a free port, stopped by {@link #close()}. */
    private record Running(int port, CountDownLatch stop, Future<Integer> exit, ExecutorService thread)
            implements AutoCloseable {
        @Override
        public void close() {
            stop.countDown();
            try {
                assertThat(exit.get(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(Main.EXIT_OK);
            } catch (InterruptedException | ExecutionException | TimeoutException e) {
                throw new AssertionError("relay run did not stop cleanly", e);
            } finally {
                thread.shutdownNow();
                ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, System.Logger.Level.INFO, null);
            }
        }
    }

    private static Running startSidecar(String jdbcUrl) {
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        CountDownLatch stop = new CountDownLatch(1);
        SidecarContext context = new SidecarContext(Map.of("OUTBOX_JDBC_URL", jdbcUrl,
                "OUTBOX_HTTP_HOST", "127.0.0.1", "OUTBOX_HTTP_PORT", "0", "OUTBOX_LOG_FORMAT", "json",
                "OUTBOX_MAX_POLL_INTERVAL", "50ms", "OUTBOX_REBALANCE_INTERVAL", "50ms"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(logs, true, StandardCharsets.UTF_8),
                List.of(new LogTransportFactory(new PrintStream(new ByteArrayOutputStream(), true,
                        StandardCharsets.UTF_8))), stop);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        Future<Integer> exit = thread.submit(() -> Main.execute(new String[] {"run"}, context));
        int port = Integer.parseInt(await("the start line with the HTTP port", () -> {
            Matcher m = HTTP_PORT.matcher(logs.toString(StandardCharsets.UTF_8));
            return m.find() ? m.group(1) : null;
        }));
        return new Running(port, stop, exit, thread);
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
