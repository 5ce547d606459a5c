package dev.outbox.bench.latency;

import java.util.Arrays;
import java.util.Locale;

/**
 * Commit-to-receive latencies of one run, sorted.
 *
 * @param millis the latencies in milliseconds, ascending (events of the warm-up window left out)
 * @param written events committed in the run
 * @param rate the commit rate the writers reached, events per second
 * @param early events that arrived before their writer noted its commit (it was descheduled
 *        between the commit and reading the clock); counted as 0 ms
 */
record Latencies(double[] millis, int written, double rate, int early) {

    Latencies {
        millis = millis.clone();
        Arrays.sort(millis);
        if (millis.length == 0) {
            throw new IllegalArgumentException("no latency measured");
        }
    }

    /** The {@code p}-th percentile (0 < p <= 100), nearest rank. */
    double percentile(double p) {
        int rank = (int) Math.ceil(p / 100 * millis.length);
        return millis[Math.max(0, Math.min(millis.length - 1, rank - 1))];
    }

    double max() {
        return millis[millis.length - 1];
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%,d events at %,.0f/s: p50 %.1f ms, p90 %.1f, p99 %.1f, max %.1f%s", millis.length,
                rate, percentile(50), percentile(90), percentile(99), max(),
                early == 0 ? "" : " (" + early + " arrived before their writer noted the commit)");
    }
}
