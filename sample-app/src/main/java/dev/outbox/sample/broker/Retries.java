package dev.outbox.sample.broker;

import java.time.Duration;

/**
 * How often a listener tries one event before dead-lettering it, and how long it waits between
 * attempts (doubling from {@code firstDelay}).
 */
public record Retries(int maxAttempts, Duration firstDelay) {
    public Retries {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("retries.maxAttempts must be >= 1 (was " + maxAttempts + ")");
        }
    }

    public static Retries defaults() {
        return new Retries(5, Duration.ofMillis(100));
    }

    /** The wait before attempt {@code attempt + 1}. */
    Duration delayAfter(int attempt) {
        return firstDelay.multipliedBy(1L << Math.min(attempt - 1, 10));
    }
}
