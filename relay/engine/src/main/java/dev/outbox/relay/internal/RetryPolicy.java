package dev.outbox.relay.internal;

import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.spi.TransportException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * What becomes of an event whose delivery the destination refused: dead, or sent again at a
 * later instant. Called by the relay loop for every failure charged to an event (never for an
 * outage); pure, so the rules are tested without a database or a broker.
 *
 * <p>An event is dead when its attempts reach {@code maxAttempts} (retryable failures) or
 * {@code maxNonRetryableAttempts} (non-retryable ones), or at once when the destination said it
 * will never take it ({@link TransportException#deadNow()}). Otherwise it is retried after an
 * exponential backoff with equal jitter ({@link Backoff}) from {@code backoffBase} up to
 * {@code backoffCap}, or after the destination's {@code Retry-After} when that is longer.
 *
 * @param maxAttempts attempts allowed for retryable failures
 * @param maxNonRetryableAttempts attempts allowed for non-retryable failures
 * @param backoffBase the delay after the first failure (before jitter)
 * @param backoffCap the longest delay (before jitter)
 */
public record RetryPolicy(int maxAttempts, int maxNonRetryableAttempts, Duration backoffBase, Duration backoffCap) {

    public RetryPolicy {
        Objects.requireNonNull(backoffBase, "backoffBase");
        Objects.requireNonNull(backoffCap, "backoffCap");
    }

    public static RetryPolicy of(RelayConfig config) {
        return new RetryPolicy(config.maxAttempts(), config.maxNonRetryableAttempts(), config.backoffBase(),
                config.backoffCap());
    }

    /**
     * The decision for an event that failed its {@code attempts}-th attempt (1 for the first).
     *
     * @param random values in [0, 1) for the jitter; asked once, and only when the event is retried
     */
    public Decision decide(int attempts, TransportException failure, Instant now, DoubleSupplier random) {
        int limit = failure.retryable() ? maxAttempts : maxNonRetryableAttempts;
        if (attempts >= limit || failure.deadNow()) {
            return Decision.DEAD;
        }
        Duration delay = new Backoff(backoffBase, backoffCap, random).delay(attempts);
        Duration asked = failure.retryAfter().orElse(Duration.ZERO);
        if (asked.compareTo(delay) > 0) {
            delay = asked; // the destination said how long to wait
        }
        return new Decision(now.plus(delay), delay);
    }

    /**
     * Dead ({@code retryAt == null}), or retried at {@code retryAt}, {@code delay} after the failure.
     */
    public record Decision(Instant retryAt, Duration delay) {
        static final Decision DEAD = new Decision(null, null);

        public boolean dead() {
            return retryAt == null;
        }
    }
}
