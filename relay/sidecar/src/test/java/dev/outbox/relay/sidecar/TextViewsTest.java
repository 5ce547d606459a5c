package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.ops.DeadEvent;
import dev.outbox.relay.ops.ReplayRequest;
import dev.outbox.relay.ops.ReplayResult;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code relay dead list} and {@code relay replay} as a terminal shows them ({@code relay status}:
 * {@link StatusReportTest}).
 */
class TextViewsTest {
    private static final Instant AT = Instant.parse("2025-03-01T12:00:00Z");

    @Test
    void deadListIsATableOfOneRowPerEventWithKeyAndOneLineError() {
        DeadEvent older = new DeadEvent(UUID.fromString("0190a3c4-0000-7000-8000-000000000001"), 7, "Order", "2",
                "OrderPlaced", 3, "non-retryable:\n  rejected", AT, 4);
        DeadEvent later = new DeadEvent(UUID.fromString("0190a3c4-0000-7000-8000-000000000002"), 123_456, "Invoice",
                "9", "InvoiceSent", 12, null, null, 1_234_567);

        assertThat(TextViews.deadEvents(List.of(older, later))).isEqualTo(""
                + "DEAD SINCE            ID                                       SEQ  KEY        TYPE         ATTEMPTS"
                + "  HELD BACK  LAST ERROR\n"
                + "2025-03-01T12:00:00Z  0190a3c4-0000-7000-8000-000000000001       7  Order/2    OrderPlaced         3"
                + "          4  non-retryable: rejected\n"
                + "-                     0190a3c4-0000-7000-8000-000000000002  123456  Invoice/9  InvoiceSent        12"
                + "  1,234,567  -\n");
    }

    @Test
    void deadListSaysSoWhenThereIsNone() {
        assertThat(TextViews.deadEvents(List.of())).isEqualTo("No dead events.\n");
    }

    @Test
    void replayNamesWhatWasRequeued() {
        ReplayRequest request = ReplayRequest.between(AT, AT.plusSeconds(3600)).ofType("OrderPlaced")
                .ofAggregateType("Order");

        assertThat(TextViews.replay(new ReplayResult(request, 12_345, 1, 9))).isEqualTo("Re-queued 12,345 published"
                + " events that occurred in [2025-03-01T12:00:00Z, 2025-03-01T13:00:00Z) of type \"OrderPlaced\" and"
                + " aggregate type \"Order\"; running relays deliver them again, in order per key.");
    }

    @Test
    void replayOfNothingExplainsThatOnlyRetainedPublishedEventsCanBeReplayed() {
        ReplayRequest request = ReplayRequest.between(AT, AT.plusSeconds(3600));

        assertThat(TextViews.replay(new ReplayResult(request, 0, 0, 0))).startsWith("No published events that occurred"
                + " in [2025-03-01T12:00:00Z, 2025-03-01T13:00:00Z) is retained, so nothing was re-queued.")
                .contains("relay.retention=0").contains("purged").contains("undelivered and dead events are never"
                        + " replayed");
    }
}
