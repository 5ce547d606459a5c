package dev.outbox.relay.spi;

import dev.outbox.core.OutboxException;
import java.io.Serial;
import java.time.Duration;
import java.util.Optional;

/**
 * Why a transport could not deliver an event (in a {@link SendResult}) or a whole batch (thrown
 * from {@link Transport#send}). Thrown, it is always an outage: nothing is charged. In a
 * {@link SendResult}, {@link #outage(String, Throwable)} says the destination could not be reached
 * or did not answer for this event (not charged either); any other failure is the destination's
 * answer about this event and is charged to it, with {@link #retryable()} telling whether trying
 * again later can succeed (busy, throttled: retryable; too large, unroutable, HTTP 400: not, and
 * the event is dead after {@code maxNonRetryableAttempts}). Two refinements for per-event failures:
 * {@link #deadNow(String, Throwable)} when the destination said it will never take the event
 * (HTTP 410 Gone), whatever the configured attempts; and {@link #withRetryAfter(Duration)} when the
 * destination said how long to wait (HTTP Retry-After): the relay waits at least that long.
 */
public class TransportException extends OutboxException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final boolean retryable;
    private final boolean outage;
    private final boolean deadNow;
    private final Duration retryAfter;

    public TransportException(String message, boolean retryable) {
        this(message, retryable, null);
    }

    public TransportException(String message, boolean retryable, Throwable cause) {
        this(message, retryable, false, false, null, cause);
    }

    private TransportException(String message, boolean retryable, boolean outage, boolean deadNow,
                               Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
        this.outage = outage;
        this.deadNow = deadNow;
        this.retryAfter = retryAfter;
    }

    /** The event can never be delivered there: it is dead at once, whatever the attempts allow. */
    public static TransportException deadNow(String message, Throwable cause) {
        return new TransportException(message, false, false, true, null, cause);
    }

    /**
     * The destination could not be reached or did not answer for this event (connection refused
     * or reset, timeout, no metadata): nothing says it refused the event. As a per-event result
     * it is not charged to the event: the event stays unmarked, later events of its key wait, and
     * the relay pauses the transport as for a batch that failed as a whole.
     */
    public static TransportException outage(String message, Throwable cause) {
        return new TransportException(message, true, true, false, null, cause);
    }

    /** A retryable failure whose next attempt must wait at least {@code delay} (the relay's backoff may add more). */
    public TransportException withRetryAfter(Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("retryAfter must be >= 0 (was " + delay + ")");
        }
        return new TransportException(getMessage(), true, outage, false, delay, getCause());
    }

    public static TransportException retryable(String message, Throwable cause) {
        return new TransportException(message, true, cause);
    }

    public static TransportException permanent(String message, Throwable cause) {
        return new TransportException(message, false, cause);
    }

    public boolean retryable() {
        return retryable;
    }

    /** Whether this is an outage of the destination ({@link #outage}), not a refusal of the event. */
    public boolean outage() {
        return outage;
    }

    /** Whether the event is dead at once ({@link #deadNow}). */
    public boolean deadNow() {
        return deadNow;
    }

    /** The least wait before the next attempt, if the destination named one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
