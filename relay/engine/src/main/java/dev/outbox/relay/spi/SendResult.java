package dev.outbox.relay.spi;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The outcome of sending one event: acknowledged by the broker, or failed. A transport returns
 * one per event from {@link Transport#send}; see there for what each failure means to the relay.
 *
 * @param eventId the event this result is for
 * @param failure {@code null} when the broker acknowledged the event
 */
public record SendResult(UUID eventId, TransportException failure) {

    public SendResult {
        Objects.requireNonNull(eventId, "eventId");
    }

    /** The broker acknowledged the event: it is durably accepted and will not be lost. */
    public static SendResult acknowledged(UUID eventId) {
        return new SendResult(eventId, null);
    }

    public static SendResult failed(UUID eventId, TransportException failure) {
        return new SendResult(eventId, Objects.requireNonNull(failure, "failure"));
    }

    public boolean isAcknowledged() {
        return failure == null;
    }

    /**
     * The rule for a batch of which nothing arrived: when no event of {@code results} was
     * acknowledged and every one failed in a way that {@code aboutTheDestination} says is not the
     * event's doing (typically {@link TransportException#outage()}: the destination did not
     * answer), the destination failed, not the events, and the transport should throw for the
     * whole batch (the relay pauses and charges nothing) rather than return per-event failures.
     *
     * <p>Pass the results of the events that were handed to the destination: an event failed
     * before sending (no route, too large) says nothing about the destination, and with
     * {@link TransportException#outage()} as the test it would keep an outage from being seen.
     *
     * @return the first failure, for the transport to throw (as it is, or wrapped in a whole-batch
     *         message); empty when some event was acknowledged, some failure is the event's own,
     *         or {@code results} is empty
     */
    public static Optional<TransportException> wholeBatchFailure(List<SendResult> results,
                                                                 Predicate<TransportException> aboutTheDestination) {
        if (results.isEmpty()) {
            return Optional.empty();
        }
        for (SendResult r : results) {
            if (r.isAcknowledged() || !aboutTheDestination.test(r.failure())) {
                return Optional.empty();
            }
        }
        return Optional.of(results.get(0).failure());
    }
}
