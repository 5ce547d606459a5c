package dev.outbox.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts what a scenario's reader got against what the database holds.
 *
 * <ul>
 * <li><b>sent</b>: events committed to the outbox (read back from the database).
 * <li><b>lost</b>: expected events the reader never got, where expected = every committed event
 * except those of keys a scenario parks on purpose (the poison key).
 * <li><b>duplicates</b>: deliveries minus distinct events delivered.
 * <li><b>order violations</b>: per key, take the deliveries in the order a consumer sees them and
 * keep only each event's first occurrence; every first occurrence whose number is lower than an
 * earlier first occurrence's is one violation. A re-send of an earlier event after a later one
 * (the relay re-sending its in-flight batch after a crash: 1 2 3 2 3 4) is therefore a duplicate,
 * not a reordering; a consumer that deduplicates sees the events in write order. A missing event
 * is a loss, not a reordering.
 * <li><b>resume</b>: per fault, from its end to the first delivery after it; the worst fault.
 * <li><b>recovery</b>: per fault, from its end until every event committed before that end was
 * delivered (the backlog the fault built up is drained), 0 if they all were already; the worst
 * fault. Arrival times are the broker's own where it keeps one (Redis entry id, Kafka
 * LogAppendTime, JetStream timestamp), else the reader's receive time (RabbitMQ, webhooks).
 * </ul>
 */
final class Tally {
    private Tally() {
    }

    /** A committed event as the database holds it at the end. */
    record Stored(String key, int n, boolean published, boolean dead) {
    }

    /**
     * @param backlog for the fault with the longest recovery: events committed before its end and
     *                first delivered after it (what the recovery had to drain)
     * @param peakPerSecond the most events first delivered within one wall-clock second: what the
     *                relay managed on this machine during the run, to read the recovery against
     */
    record Counts(long sent, long expected, long lost, long duplicates, long orderViolations, long unexpected,
            Long resumeMillis, Long recoveryMillis, long backlog, long peakPerSecond, long notPublished, long dead) {
    }

    /** When event {@code n} of {@code key} was committed, in epoch milliseconds (the workload knows). */
    @FunctionalInterface
    interface CommitTimes {
        long committedAt(String key, int n);
    }

    static Counts count(List<Stored> stored, List<Delivery> deliveries, Set<String> parkedKeys, List<Fault> faults,
            CommitTimes workload) {
        Set<String> expected = new HashSet<>();
        long notPublished = 0;
        long dead = 0;
        for (Stored s : stored) {
            if (parkedKeys.contains(s.key())) {
                continue;
            }
            expected.add(s.key() + "/" + s.n());
            if (!s.published()) {
                notPublished++;
            }
            if (s.dead()) {
                dead++;
            }
        }
        Map<String, Long> firstArrival = new HashMap<>();
        Map<String, List<Integer>> perKey = new HashMap<>();
        long unexpected = 0;
        for (Delivery d : deliveries) {
            String id = d.key() + "/" + d.n();
            if (!expected.contains(id)) {
                unexpected++;
            }
            firstArrival.merge(id, d.atMillis(), Math::min);
            perKey.computeIfAbsent(d.key(), k -> new ArrayList<>()).add(d.n());
        }
        long lost = expected.stream().filter(id -> !firstArrival.containsKey(id)).count();
        long duplicates = deliveries.size() - firstArrival.size();
        long violations = 0;
        for (List<Integer> ns : perKey.values()) {
            Set<Integer> seen = new HashSet<>();
            int highest = -1;
            for (int n : ns) {
                if (!seen.add(n)) {
                    continue; // a duplicate
                }
                if (n < highest) {
                    violations++;
                }
                highest = Math.max(highest, n);
            }
        }
        Long resume = null;
        Long recovery = null;
        long backlog = 0;
        for (Fault f : faults) {
            long end = f.endMillis();
            long first = Long.MAX_VALUE;
            for (Delivery d : deliveries) {
                if (d.atMillis() >= end) {
                    first = Math.min(first, d.atMillis() - end);
                }
            }
            if (first != Long.MAX_VALUE) {
                resume = resume == null ? first : Math.max(resume, first);
            }
            long drained = 0;
            long waiting = 0;
            for (String id : expected) {
                int slash = id.lastIndexOf('/');
                long committed = workload.committedAt(id.substring(0, slash), Integer.parseInt(id.substring(slash + 1)));
                Long arrived = firstArrival.get(id);
                if (committed <= end && arrived != null) {
                    drained = Math.max(drained, arrived - end);
                    if (arrived > end) {
                        waiting++;
                    }
                }
            }
            if (recovery == null || drained > recovery) {
                recovery = drained;
                backlog = waiting;
            }
        }
        Map<Long, Long> perSecond = new HashMap<>();
        firstArrival.values().forEach(at -> perSecond.merge(at / 1000, 1L, Long::sum));
        long peak = perSecond.values().stream().mapToLong(Long::longValue).max().orElse(0);
        return new Counts(stored.size(), expected.size(), lost, duplicates, violations, unexpected, resume, recovery,
                backlog, peak, notPublished, dead);
    }
}
