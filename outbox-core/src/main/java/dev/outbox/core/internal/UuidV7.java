package dev.outbox.core.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * UUIDv7 generator (RFC 9562 section 5.7): 48 bits of Unix time in milliseconds, 12 bits of
 * sub-millisecond counter (the "rand_a" field, method 3 of section 6.2) and 62 random bits.
 *
 * <p>Ids from one generator are strictly increasing, also when many threads ask in the same
 * millisecond or the clock steps back: the timestamp and counter are advanced together with a
 * single compare-and-set, and a counter overflow carries into the timestamp. Ids from different
 * processes are unique thanks to the 62 random bits.
 */
public final class UuidV7 {
    private static final UuidV7 SYSTEM = new UuidV7(Clock.systemUTC());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Clock clock;
    /** (unix millis << 12) | counter of the last id handed out. */
    private final AtomicLong last = new AtomicLong();

    public UuidV7(Clock clock) {
        this.clock = clock;
    }

    /** The generator on the system clock, shared by the whole process. */
    public static UuidV7 system() {
        return SYSTEM;
    }

    public UUID next() {
        long now = clock.millis() << 12;
        long stamp;
        while (true) {
            long previous = last.get();
            // A new millisecond starts its counter at a random point in the lower half, which
            // leaves room for 2048+ ids in that millisecond before it borrows from the next.
            stamp = now > previous ? now | RANDOM.nextInt(1 << 11) : previous + 1;
            if (last.compareAndSet(previous, stamp)) {
                break;
            }
        }
        long msb = (stamp >>> 12) << 16 | 0x7000L | (stamp & 0xFFFL);
        long lsb = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }

    /** The Unix time in milliseconds stored in a UUIDv7. */
    public static long unixMillis(UUID uuid) {
        if (uuid.version() != 7) {
            throw new IllegalArgumentException("not a UUIDv7: " + uuid);
        }
        return uuid.getMostSignificantBits() >>> 16;
    }
}
