package dev.outbox.relay.internal;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with "equal jitter": the n-th delay is {@code d/2 + random * d/2} where
 * {@code d = min(cap, base * 2^(n-1))}. Half of each delay is fixed, so delays keep growing
 * until the cap; the random half spreads retries of many events (or relays) apart.
 */
public final class Backoff {
    private final Duration base;
    private final Duration cap;
    private final DoubleSupplier random;

    /** @param random values in [0, 1), e.g. {@code ThreadLocalRandom.current()::nextDouble} */
    public Backoff(Duration base, Duration cap, DoubleSupplier random) {
        this.base = base;
        this.cap = cap;
        this.random = random;
    }

    /** The delay after the {@code failures}-th consecutive failure (1 for the first). */
    public Duration delay(int failures) {
        long capMillis = cap.toMillis();
        long exp = base.toMillis();
        for (int i = 1; i < failures && exp < capMillis; i++) {
            exp *= 2;
        }
        long d = Math.min(exp, capMillis);
        return Duration.ofMillis(d / 2 + (long) (random.getAsDouble() * (d - d / 2)));
    }
}
