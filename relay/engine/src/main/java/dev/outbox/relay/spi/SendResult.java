package dev.outbox.relay.spi;

import java.util.Objects;
import java.util.UUID;

/**
 * The outcome of sending one event: acknowledged by the broker, or failed.
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
}
