package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.core.internal.UuidV7;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class UuidV7Test {

    @Test
    void idsAreVersion7WithRfcVariantAndCarryTheTime() {
        Instant now = Instant.parse("2026-11-26T12:00:00.123Z");
        UUID id = new UuidV7(Clock.fixed(now, ZoneOffset.UTC)).next();
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(UuidV7.unixMillis(id)).isEqualTo(now.toEpochMilli());
    }

    @Test
    void idsStayOrderedWhenTheClockStandsStillOrStepsBack() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));
        UuidV7 generator = new UuidV7(clock);
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) { // more than the 4096 counter values of one millisecond
            ids.add(generator.next());
        }
        clock.instant = clock.instant.minusSeconds(5);
        ids.add(generator.next());
        assertStrictlyIncreasing(ids);
    }

    @Test
    void idsAreTimeOrderedAndUniqueUnderConcurrency() throws Exception {
        UuidV7 generator = UuidV7.system();
        int threads = 8;
        int perThread = 20_000;
        ConcurrentLinkedQueue<List<UUID>> results = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int t = 0; t < threads; t++) {
                pool.execute(() -> {
                    List<UUID> mine = new ArrayList<>(perThread);
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    for (int i = 0; i < perThread; i++) {
                        mine.add(generator.next());
                    }
                    results.add(mine);
                });
            }
            long before = System.currentTimeMillis();
            start.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

            List<UUID> all = new ArrayList<>();
            for (List<UUID> mine : results) {
                assertStrictlyIncreasing(mine); // each thread sees ids in time order
                all.addAll(mine);
            }
            assertThat(all).hasSize(threads * perThread).doesNotHaveDuplicates();
            Collections.sort(all, UuidV7Test::compareUnsigned);
            assertThat(UuidV7.unixMillis(all.get(0))).isGreaterThanOrEqualTo(before);
        } finally {
            pool.shutdownNow();
        }
    }

    private static void assertStrictlyIncreasing(List<UUID> ids) {
        for (int i = 1; i < ids.size(); i++) {
            assertThat(compareUnsigned(ids.get(i - 1), ids.get(i)))
                    .as("id %d (%s) sorts after id %d (%s)", i, ids.get(i), i - 1, ids.get(i - 1))
                    .isNegative();
        }
    }

    /** Byte order, as PostgreSQL sorts uuid values. */
    private static int compareUnsigned(UUID a, UUID b) {
        int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return high != 0 ? high : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    }

    private static final class MutableClock extends Clock {
        Instant instant;

        MutableClock(Instant instant) {
            this.instant = instant;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return instant;
        }
    }
}
