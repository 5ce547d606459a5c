package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayState.Phase;
import dev.outbox.relay.ops.StatusReport;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The status report as {@code relay status} prints it ({@link TextViews#status}). */
class StatusReportTest {
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
    void rendersCountsAgesInstancesAndUnownedSlotsAsText() {
        String text = TextViews.status(report());
        assertThat(text)
                .contains("Outbox \"outbox\" at 2025-03-01T12:00:00Z")
                .containsPattern("\n  Undelivered \\(backlog\\) +1,234\n")
                .containsPattern("\n  Oldest undelivered +3m 12s  since 2025-03-01T11:56:48Z\n")
                .containsPattern("\n  Waiting for retry +5\n")
                .containsPattern("\n  Dead +2  see: relay dead list\n")
                .containsPattern("\n  Published \\(retained\\) +100,000\n")
                .contains("Relay instances: 2, owning 62 of 64 slots")
                .containsPattern("relay-a +4242 +2025-03-01T11:00:00Z +10\\.0\\.0\\.7 +32 +0-31 +running since"
                        + " 2025-03-01T11:01:00Z\n")
                .containsPattern("relay-b +4243 +- +- +30 +32-61 +transport paused since 2025-03-01T11:58:58Z,"
                        + " last error: broker down\n")
                .contains("Unowned slots: 62-63");
    }

    @Test
    void saysWhenNoRelayIsRunning() {
        StatusReport r = new StatusReport("outbox", AT, 0, null, 0, 0, 0, List.of(),
                IntStream.range(0, 64).boxed().toList());
        assertThat(r.oldestUndeliveredAge()).isEmpty();
        assertThat(TextViews.status(r)).containsPattern("Oldest undelivered +-\n").contains("none running")
                .contains("Unowned slots: 0-63");
    }

    @Test
    void saysWhenAnInstanceHasNoStateRowYet() {
        StatusReport r = new StatusReport("outbox", AT, 0, null, 0, 0, 0,
                List.of(new StatusReport.RelayInstance("relay-c", 7, null, null, List.of(), null)), List.of());
        assertThat(TextViews.status(r)).containsPattern("relay-c +7 .* unknown \\(no state row yet\\)\n");
    }
}
