package dev.outbox.relay.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
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
}
