package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayStats;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.testing.Await;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The endpoints on a real socket and a real database, with the relay's state given by the test. */
class HttpEndpointsIT {
    private static final Instant SINCE = Instant.parse("2026-12-03T07:41:02Z");

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();

    private final AtomicReference<RelayState> state = new AtomicReference<>(new RelayState(RelayState.Phase.RUNNING,
            SINCE, null));

    private RelayStats stats() {
        return new RelayStats(state.get(), true, Set.copyOf(IntStream.range(0, 64).boxed().toList()), 0, 0, 0, 0, 0, 0,
                List.of(0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L), 0);
    }

    @Test
    void readyShowsWhyTheRelayDoesNotDeliverAndAnswers503UnlessItRuns() throws IOException {
        try (HttpEndpoints http = HttpEndpoints.start("127.0.0.1", 0, FIXTURE.relayRole(), this::stats, "outbox",
                UnaryOperator.identity())) {
            Await.await("ready", Duration.ofSeconds(30), () -> request(http.port(), "GET /ready").startsWith("HTTP/1.1 200"));

            state.set(new RelayState(RelayState.Phase.TRANSPORT_PAUSED, SINCE, "kafka: no answer from 127.0.0.1:9092 in 5s"));
            String paused = request(http.port(), "GET /ready");

            assertThat(paused).startsWith("HTTP/1.1 503 ");
            JsonObject body = body(paused);
            assertThat(body.getString("relay_state")).isEqualTo("TRANSPORT_PAUSED");
            assertThat(body.getString("relay_error")).isEqualTo("transport paused since 2026-12-03T07:41:02Z,"
                    + " last error: kafka: no answer from 127.0.0.1:9092 in 5s");
            assertThat(body.getJsonObject("checks").getString("database")).isEqualTo("UP");
            assertThat(request(http.port(), "GET /metrics")).contains("outbox_relay_phase{phase=\"transport_paused\"} 1")
                    .contains("outbox_relay_phase{phase=\"running\"} 0");

            state.set(new RelayState(RelayState.Phase.DATABASE_UNAVAILABLE, SINCE,
                    "SQLState 28P01: FATAL: password authentication failed for user \"relay\""));
            assertThat(body(request(http.port(), "GET /ready")).getString("relay_error"))
                    .isEqualTo("database unavailable since 2026-12-03T07:41:02Z, last error: SQLState 28P01:"
                            + " FATAL: password authentication failed for user \"relay\"");

            state.set(new RelayState(RelayState.Phase.RUNNING, SINCE, null));
            assertThat(request(http.port(), "GET /ready")).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void refusesOversizedOrMalformedRequestsAndStillAnswersProbes() throws IOException {
        try (HttpEndpoints http = HttpEndpoints.start("127.0.0.1", 0, FIXTURE.relayRole(), this::stats, "outbox",
                UnaryOperator.identity())) {
            assertThat(request(http.port(), "GET /health HTTP/1.1\r\nX-Big: " + "x".repeat(10_000)))
                    .startsWith("HTTP/1.1 431 ");
            assertThat(request(http.port(), "GET /health HTTP/1.1\r\n" + "X-A: 1\r\n".repeat(100)))
                    .startsWith("HTTP/1.1 431 ");
            assertThat(request(http.port(), "BREW coffee")).startsWith("HTTP/1.1 400 ");
            assertThat(request(http.port(), "GET /health?verbose=1")).startsWith("HTTP/1.1 200 ");
        }
    }

    /** Sends {@code line} (a request line, or a line and headers) and reads the whole answer. */
    private static String request(int port, String line) throws IOException {
        String request = line.contains(" HTTP/1.") ? line : line + " HTTP/1.1";
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write((request + "\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static JsonObject body(String response) {
        try (var reader = Json.createReader(new StringReader(response.substring(response.indexOf("\r\n\r\n") + 4)))) {
            return reader.readObject();
        }
    }
}
