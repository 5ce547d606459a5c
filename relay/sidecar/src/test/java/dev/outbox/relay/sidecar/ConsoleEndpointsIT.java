package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayStats;
import dev.outbox.relay.testing.RelayDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The console's HTTP side on a real socket and database: limits, switches, and the server thread never waiting. */
class ConsoleEndpointsIT {
    private static final String TOKEN = "a-console-token-of-some-length";

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static RelayStats stats() {
        return new RelayStats(new RelayState(RelayState.Phase.RUNNING, Instant.now(), null), true,
                Set.copyOf(IntStream.range(0, 64).boxed().toList()), 0, 0, 0, 0, 0, 0,
                Collections.nCopies(13, 0L), 0);
    }

    private static HttpEndpoints start(DataSource dataSource, String token, boolean console) throws IOException {
        return HttpEndpoints.start("127.0.0.1", 0, dataSource, ConsoleEndpointsIT::stats, "outbox",
                UnaryOperator.identity(), console ? new HttpEndpoints.ConsoleOptions(token, Clock.systemUTC()) : null);
    }

    @Test
    void overviewShowsThisRelaysStateAndBackfillsTheHourBeforeTheStartFromTheDatabase() throws Exception {
        FIXTURE.db().execute("SELECT outbox.event_history_prepare((now() - interval '1 day')::date, 3)");
        FIXTURE.db().execute("INSERT INTO outbox.event_history (id, seq, aggregatetype, aggregateid, type, payload, headers,"
                + " occurred_at, attempts, published_at) SELECT gen_random_uuid(), -i, 'Order', 'o-' || i, 'OrderPlaced',"
                + " '{}', '{}', now() - interval '20 minutes', 1, date_trunc('minute', now()) - interval '10 minutes'"
                + " FROM generate_series(1, 7) i");
        RelayStats paused = new RelayStats(new RelayState(RelayState.Phase.TRANSPORT_PAUSED,
                Instant.parse("2026-12-03T07:41:02.123Z"), "kafka: no answer from 127.0.0.1:9092 in 5s"), true, Set.of(), 0,
                0, 0, 1, 0, 0, Collections.nCopies(13, 0L), 0);
        try (HttpEndpoints endpoints = HttpEndpoints.start("127.0.0.1", 0, FIXTURE.relayRole(), () -> paused, "outbox",
                UnaryOperator.identity(), new HttpEndpoints.ConsoleOptions(null, Clock.systemUTC()))) {
            String overview = awaitOverview(endpoints, "\"backfill\":[[");
            assertThat(overview).contains("\"phase\":\"TRANSPORT_PAUSED\"").contains("\"state\":\"transport paused since"
                    + " 2026-12-03T07:41:02Z, last error: kafka: no answer from 127.0.0.1:9092 in 5s\"");
            assertThat(overview).containsPattern("\"backfill\":\\[\\[\\d+,7,0]]");
            assertThat(overview).contains("\"windowSeconds\":3600", "\"intervalSeconds\":10");
        }
    }

    @Test
    void replayRunsInTheBackgroundAndANewOneReplacesOneWaitingForRelays() throws Exception {
        FIXTURE.db().execute("SELECT outbox.event_history_prepare((now() - interval '1 day')::date, 3)");
        FIXTURE.db().execute("INSERT INTO outbox.event_history (id, seq, aggregatetype, aggregateid, type, payload, headers,"
                + " occurred_at, attempts, published_at) SELECT gen_random_uuid(), 1000 + i, 'Order', 'r-' || i, 'OrderPlaced',"
                + " '{}', '{}', now() - interval '20 minutes', 1, now() - interval '10 minutes' FROM generate_series(1, 3) i");
        String range = "{\"from\":\"" + Instant.now().minus(Duration.ofHours(1)) + "\",\"to\":\""
                + Instant.now().plus(Duration.ofMinutes(1)) + "\"}";
        try (HttpEndpoints endpoints = start(FIXTURE.relayRole(), TOKEN, true)) {
            assertThat(bearerPost(endpoints, "/console/api/replay", "{\"from\":\"yesterday\"}").body())
                    .contains("ISO-8601");
            HttpResponse<String> first = bearerPost(endpoints, "/console/api/replay", range);
            assertThat(first.statusCode()).isEqualTo(202);
            // No relay runs here: the three events are re-queued and wait.
            assertThat(awaitReplay(endpoints, "\"state\":\"delivering\",\"from\""))
                    .contains("\"total\":3,\"requeued\":3,\"pending\":3");

            HttpResponse<String> second = bearerPost(endpoints, "/console/api/replay", range);
            assertThat(second.statusCode()).isEqualTo(202);
            String done = awaitReplay(endpoints, "\"state\":\"done\"");
            assertThat(done).contains("\"requeued\":0").doesNotContain(first.body().substring(7, 43));
            assertThat(FIXTURE.db().queryLong("SELECT count(*) FROM outbox.event WHERE aggregateid LIKE 'r-%'"
                    + " AND published_at IS NULL")).isEqualTo(3);
        }
    }

    private HttpResponse<String> bearerPost(HttpEndpoints endpoints, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(endpoints, path)).timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String awaitReplay(HttpEndpoints endpoints, String containing) {
        return dev.outbox.testing.Await.awaitValue("a replay with " + containing, Duration.ofSeconds(30), () -> {
            String body = get(endpoints, "/console/api/replay").body();
            return body.contains(containing) ? body : null;
        });
    }

    private String awaitOverview(HttpEndpoints endpoints, String containing) {
        return dev.outbox.testing.Await.awaitValue("an overview with " + containing, Duration.ofSeconds(30), () -> {
            String body = get(endpoints, "/console/api/overview").body();
            return body.contains(containing) ? body : null;
        });
    }

    @Test
    void disabledConsoleAnswers404() throws Exception {
        try (HttpEndpoints endpoints = start(FIXTURE.relayRole(), TOKEN, false)) {
            assertThat(get(endpoints, "/console").statusCode()).isEqualTo(404);
            assertThat(get(endpoints, "/console/api/overview").statusCode()).isEqualTo(404);
            assertThat(get(endpoints, "/health").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void servesThePageWithItsTypesCachingAndSecurityHeaders() throws Exception {
        try (HttpEndpoints endpoints = start(FIXTURE.relayRole(), null, true)) {
            HttpResponse<String> page = get(endpoints, "/console");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).startsWith("default-src 'none'");
            HttpResponse<String> script = get(endpoints, "/console/console.js");
            assertThat(script.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
            assertThat(script.headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(script.body()).doesNotContain("innerHTML =").doesNotContain("insertAdjacentHTML");
            String etag = script.headers().firstValue("ETag").orElseThrow();
            HttpResponse<String> again = http.send(HttpRequest.newBuilder(uri(endpoints, "/console/console.js"))
                    .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).isEqualTo(304);
            assertThat(get(endpoints, "/console/console.css").headers().firstValue("Content-Type"))
                    .hasValue("text/css; charset=utf-8");
            assertThat(get(endpoints, "/console/icon.svg").headers().firstValue("Content-Type")).hasValue("image/svg+xml");
            assertThat(get(endpoints, "/console/api/overview").body()).contains("\"actions\":false");
        }
    }

    @Test
    void readOnlyConsoleRefusesActionsNamingTheKeyThatEnablesThem() throws Exception {
        try (HttpEndpoints endpoints = start(FIXTURE.relayRole(), null, true)) {
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(uri(endpoints, "/console/api/dead/retry-all"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).contains("OUTBOX_CONSOLE_TOKEN");
        }
    }

    @Test
    void bearerTokenActsWithoutCookieOrCsrf() throws Exception {
        try (HttpEndpoints endpoints = start(FIXTURE.relayRole(), TOKEN, true)) {
            HttpResponse<String> done = http.send(HttpRequest.newBuilder(uri(endpoints, "/console/api/dead/retry-all"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(done.statusCode()).isEqualTo(200);
            assertThat(done.body()).isEqualTo("{\"retried\":0}");
        }
    }

    @Test
    void refusesBodiesAboveTheLimitAndWithoutALength() throws Exception {
        try (HttpEndpoints endpoints = start(FIXTURE.relayRole(), TOKEN, true)) {
            assertThat(raw(endpoints, "POST /console/api/login HTTP/1.1\r\nHost: x\r\nContent-Length: "
                    + (ProbeServer.MAX_BODY_BYTES + 1) + "\r\n\r\n")).startsWith("HTTP/1.1 413 ");
            assertThat(raw(endpoints, "POST /console/api/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"))
                    .startsWith("HTTP/1.1 411 ");
            // A body sent in pieces is read whole before the handler sees it.
            String body = "{\"token\":\"wrong\"}";
            try (Socket socket = new Socket("127.0.0.1", endpoints.port())) {
                socket.setSoTimeout(10_000);
                PrintWriter out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.ISO_8859_1);
                out.print("POST /console/api/login HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body.substring(0, 5));
                out.flush();
                out.print(body.substring(5));
                out.flush();
                assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                        .startsWith("HTTP/1.1 401 ").contains("not the console's token");
            }
        }
    }

    @Test
    void healthAnswersAtOnceWhileAConsoleRequestWaitsOnAHungDatabase() throws Exception {
        CountDownLatch hang = new CountDownLatch(1);
        DataSource real = FIXTURE.relayRole();
        boolean[] hung = {false};
        DataSource hanging = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection") && hung[0]) {
                        hang.await(); // the database does not answer
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (HttpEndpoints endpoints = start(hanging, TOKEN, true)) {
            hung[0] = true;
            long started = System.nanoTime();
            CompletableFuture<HttpResponse<String>> dead = http.sendAsync(
                    HttpRequest.newBuilder(uri(endpoints, "/console/api/dead")).build(), HttpResponse.BodyHandlers.ofString());
            List<Long> micros = new ArrayList<>();
            while (!dead.isDone() && micros.size() < 200) {
                long t = System.nanoTime();
                assertThat(get(endpoints, "/health").statusCode()).isEqualTo(200);
                micros.add((System.nanoTime() - t) / 1000);
                assertThat(get(endpoints, "/console/api/overview").statusCode()).as("the overview answers from memory")
                        .isEqualTo(200);
            }
            Collections.sort(micros);
            HttpResponse<String> answer = dead.get(Console.DATABASE_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS);
            long waited = (System.nanoTime() - started) / 1_000_000;
            System.out.printf("console on a hung database: /health median %d us, max %d us over %d requests;"
                    + " the console request answered %d after %d ms%n", micros.get(micros.size() / 2),
                    micros.get(micros.size() - 1), micros.size(), answer.statusCode(), waited);
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.body()).contains("did not answer within");
            assertThat(micros.get(micros.size() / 2)).as("median /health in microseconds").isLessThan(20_000);
        } finally {
            hang.countDown();
        }
    }

    /** With a bound: a server thread that waited would fail the test rather than hang it. */
    private HttpResponse<String> get(HttpEndpoints endpoints, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(endpoints, path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(HttpEndpoints endpoints, String path) {
        return URI.create("http://127.0.0.1:" + endpoints.port() + path);
    }

    private static String raw(HttpEndpoints endpoints, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", endpoints.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

}
