package dev.outbox.relay.internal;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How long the relay loop waits before its next claim, from what the last claim found: not at
 * all after a full claim (more is likely waiting), {@code minPollInterval} after a partial one,
 * and, while claims find nothing, {@code minPollInterval} doubling up to {@code maxPollInterval}.
 * Used by one loop thread; holds the current idle interval.
 */
final class PollBackoff {
    /**
     * The longest pause after a transport outage: a destination that is back is noticed within a
     * second, at the cost of one claim and one send attempt per second while it is down.
     */
    static final Duration MAX_TRANSPORT_PAUSE = Duration.ofSeconds(1);
    private static final Duration FIRST_TRANSPORT_PAUSE = Duration.ofMillis(100);

    /** How much a claim found: nothing, some events, or as many as it may take (more are likely waiting). */
    enum Claimed { NONE, SOME, FULL }

    private final Duration minInterval;
    private final Duration maxInterval;
    private Duration idle;

    PollBackoff(Duration minInterval, Duration maxInterval) {
        this.minInterval = minInterval;
        this.maxInterval = maxInterval;
        this.idle = minInterval;
    }

    /** The wait before the next claim, after a claim that found {@code claimed}. */
    Duration next(Claimed claimed) {
        switch (claimed) {
            case FULL -> {
                idle = minInterval;
                return Duration.ZERO;
            }
            case SOME -> {
                idle = minInterval;
                return idle;
            }
            default -> {
                Duration wait = idle;
                idle = min(idle.multipliedBy(2), maxInterval);
                return wait;
            }
        }
    }

    /**
     * The pauses after consecutive transport outages: from 100 ms, growing up to
     * {@link #MAX_TRANSPORT_PAUSE} (or {@code backoffCap} if lower), with jitter.
     */
    static Backoff transportPause(Duration backoffCap, DoubleSupplier random) {
        return new Backoff(FIRST_TRANSPORT_PAUSE, min(backoffCap, MAX_TRANSPORT_PAUSE), random);
    }

    static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
