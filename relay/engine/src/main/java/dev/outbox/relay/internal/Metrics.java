package dev.outbox.relay.internal;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** The relay's counters, kept cheap (adders) and read by the sidecar's /metrics endpoint. */
public final class Metrics {
    /** Upper bounds, in seconds, of the batch latency histogram buckets. */
    public static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    public final LongAdder published = new LongAdder();
    public final LongAdder failed = new LongAdder();
    public final LongAdder dead = new LongAdder();
    public final LongAdder transportErrors = new LongAdder();
    public final LongAdder batches = new LongAdder();
    public final LongAdder purged = new LongAdder();
    private final AtomicLongArray latencyBuckets = new AtomicLongArray(LATENCY_BUCKETS.length + 1);
    private final LongAdder latencyNanos = new LongAdder();

    public void batchLatency(long nanos) {
        double seconds = nanos / 1e9;
        int i = 0;
        while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) {
            i++;
        }
        latencyBuckets.incrementAndGet(i);
        latencyNanos.add(nanos);
        batches.increment();
    }

    /** Count of batches whose latency fell in bucket {@code i} (the last one is +Inf), not cumulative. */
    public long latencyBucket(int i) {
        return latencyBuckets.get(i);
    }

    public double latencySumSeconds() {
        return latencyNanos.sum() / 1e9;
    }
}
