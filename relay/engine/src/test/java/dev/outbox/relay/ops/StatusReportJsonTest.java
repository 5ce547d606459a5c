package dev.outbox.relay.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayState.Phase;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The status report as JSON, for scripts and monitoring ({@code relay status --json}). */
class StatusReportJsonTest {
    private static final Instant AT = Instant.parse("2025-03-01T12:00:00Z");

    private static StatusReport report() {
        List<Integer> a = IntStream.range(0, 32).boxed().toList();
        List<Integer> b = IntStream.range(32, 62).boxed().toList();
        return new StatusReport("outbox", AT, 1234, AT.minusSeconds(192), 5, 2, 100_000,
                List.of(new StatusReport.RelayInstance("relay-a", 4242, AT.minus(Duration.ofHours(1)), "10.0.0.7", a,
                                new RelayState(Phase.RUNNING, AT.minus(Duration.ofMinutes(59)), null)),
                        new StatusReport.RelayInstance("relay-b", 4243, null, null, b,
                                new RelayState(Phase.TRANSPORT_PAUSED, AT.minusMillis(61_250), "broker down"))),
                List.of(62, 63));
    }

    @Test
    void rendersJsonWithNullsForUnknownValues() {
        JsonObject json = Json.createReader(new StringReader(report().renderJson())).readObject();
        assertThat(json.getJsonNumber("backlog").longValue()).isEqualTo(1234);
        assertThat(json.getJsonNumber("oldestUndeliveredAgeSeconds").doubleValue()).isEqualTo(192.0);
        assertThat(json.getInt("ownedSlots")).isEqualTo(62);
        assertThat(json.getJsonArray("instances").getJsonObject(0).getString("name")).isEqualTo("relay-a");
        assertThat(json.getJsonArray("instances").getJsonObject(1).isNull("connectedSince")).isTrue();
        assertThat(json.getJsonArray("unownedSlots")).hasSize(2);
        JsonObject paused = json.getJsonArray("instances").getJsonObject(1).getJsonObject("state");
        assertThat(paused.getString("phase")).isEqualTo("TRANSPORT_PAUSED");
        assertThat(paused.getString("since")).isEqualTo("2025-03-01T11:58:58.750Z");
        assertThat(paused.getString("lastError")).isEqualTo("broker down");
        assertThat(paused.getString("description"))
                .isEqualTo("transport paused since 2025-03-01T11:58:58Z, last error: broker down");
        assertThat(json.getJsonArray("instances").getJsonObject(0).getJsonObject("state").isNull("lastError")).isTrue();
    }

    @Test
    void anInstanceWithoutAStateRowHasANullState() {
        StatusReport r = new StatusReport("outbox", AT, 0, null, 0, 0, 0,
                List.of(new StatusReport.RelayInstance("relay-c", 7, null, null, List.of(), null)), List.of());
        JsonObject json = Json.createReader(new StringReader(r.renderJson())).readObject();
        assertThat(json.getJsonArray("instances").getJsonObject(0).isNull("state")).isTrue();
    }
}
