package dev.outbox.relay;

import java.util.List;
import java.util.Set;

/**
 * A snapshot of a relay's counters since it started, for metrics and health checks.
 *
 * @param state what the relay is doing now (running, paused on a transport outage, …) and why
 * @param connected whether the relay has a database session
 * @param ownedSlots the slots (0..63) this instance delivers
 * @param published events acknowledged by the transport and marked published
 * @param failed failed delivery attempts of single events
 * @param dead events that exhausted their attempts
 * @param transportErrors pauses for a transport outage: a batch that could not be sent (broker
 *     unreachable, no answer within the send timeout) or events the destination did not answer for
 * @param batches claim → send → mark transactions that had events
 * @param batchSecondsSum total time spent sending and marking those batches
 * @param batchLatencyBuckets batches per latency bucket (upper bounds {@link #LATENCY_BUCKETS_SECONDS}, then +Inf)
 * @param purged published events deleted by the retention purge
 */
public record RelayStats(
        RelayState state,
        boolean connected,
        Set<Integer> ownedSlots,
        long published,
        long failed,
        long dead,
        long transportErrors,
        long batches,
        double batchSecondsSum,
        List<Long> batchLatencyBuckets,
        long purged) {

    /** Upper bounds of {@link #batchLatencyBuckets()}, in seconds. */
    public static final List<Double> LATENCY_BUCKETS_SECONDS =
            java.util.Arrays.stream(dev.outbox.relay.internal.Metrics.LATENCY_BUCKETS).boxed().toList();

    public RelayStats {
        java.util.Objects.requireNonNull(state, "state");
        ownedSlots = Set.copyOf(ownedSlots);
        batchLatencyBuckets = List.copyOf(batchLatencyBuckets);
    }

    /** Ready to deliver: running (not paused or failing), connected and owning at least one slot. */
    public boolean ready() {
        return state.phase() == RelayState.Phase.RUNNING && connected && !ownedSlots.isEmpty();
    }
}
