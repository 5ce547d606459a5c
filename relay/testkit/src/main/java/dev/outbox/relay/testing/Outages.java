package dev.outbox.relay.testing;

import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.testing.StallingProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks for transport fault tests: a destination that does not answer must be reported as an
 * outage (per event, or the whole batch thrown), never as a failure charged to an event.
 */
public final class Outages {
    private Outages() {
    }

    /**
     * The results of {@code send}, or, when the transport failed the whole batch (which the relay
     * never charges to the events), one outage per event carrying that exception's message.
     */
    public static List<SendResult> sendOrOutage(Transport transport, List<OutboxMessage> batch) {
        try {
            return transport.send(batch);
        } catch (TransportException e) {
            assertThat(e.retryable()).as("a whole-batch failure is retryable: %s", e.getMessage()).isTrue();
            return batch.stream().map(m -> SendResult.failed(m.id(), TransportException.outage(e.getMessage(), e)))
                    .toList();
        }
    }

    /** Every result is acknowledged or an outage: nothing is charged to an event. */
    public static void assertNoneCharged(List<SendResult> results) {
        assertThat(results).allSatisfy(r -> assertThat(r.isAcknowledged() || r.failure().outage())
                .as("acknowledged or an outage, was: %s", r.failure() == null ? "" : r.failure().getMessage())
                .isTrue());
    }

    /** The events of {@code batch} whose result is not an acknowledgement, in batch order. */
    public static List<OutboxMessage> unacknowledged(List<OutboxMessage> batch, List<SendResult> results) {
        List<OutboxMessage> rest = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            if (!results.get(i).isAcknowledged()) {
                rest.add(batch.get(i));
            }
        }
        return rest;
    }

    /**
     * The stall checks for a transport behind {@code proxy}: {@code before}, sent while nothing is
     * forwarded, is not acknowledged and not charged; {@code during}, whose requests stall after
     * 50 kB (the server acknowledged only the start of the batch), is partly acknowledged and the
     * rest not charged. {@code afterFirstStall} runs once forwarding resumed the first time (e.g. to
     * check the transport reconnected). After the stalls the unacknowledged events are delivered.
     */
    public static void assertStallsBeforeAndDuringABatchAreOutages(Transport transport, StallingProxy proxy,
            List<OutboxMessage> before, List<OutboxMessage> during, Runnable afterFirstStall, Duration wait) {
        proxy.stall();
        List<SendResult> stalled = sendOrOutage(transport, before);
        assertThat(stalled).noneMatch(SendResult::isAcknowledged);
        assertNoneCharged(stalled);
        proxy.resume();
        afterFirstStall.run();

        proxy.stallRequestsAfter(50_000);
        List<SendResult> midBatch = sendOrOutage(transport, during);
        assertNoneCharged(midBatch);
        assertThat(midBatch).as("the stall began mid-batch").anyMatch(SendResult::isAcknowledged)
                .anyMatch(r -> !r.isAcknowledged());
        proxy.resume();

        List<OutboxMessage> again = new ArrayList<>(before);
        again.addAll(unacknowledged(during, midBatch));
        await("the held-back events are delivered after the stall", wait,
                () -> sendOrOutage(transport, again).stream().allMatch(SendResult::isAcknowledged));
    }
}
