package dev.outbox.relay.ops;

import java.util.Objects;

/**
 * What {@link Operations#replay} did: how many published events it re-queued and the write-order
 * ({@code seq}) range they lie in. Pass it to {@link Operations#replayPending(ReplayResult)} to
 * follow the running relays as they deliver the re-queued events again. Immutable.
 *
 * @param request the request that was carried out
 * @param requeued events reset to undelivered
 * @param firstSeq lowest {@code seq} re-queued (0 when none)
 * @param lastSeq highest {@code seq} re-queued (0 when none)
 */
public record ReplayResult(ReplayRequest request, long requeued, long firstSeq, long lastSeq) {

    public ReplayResult {
        Objects.requireNonNull(request, "request");
    }

    /** A one-line summary for the operator, explaining why nothing matched when nothing did. */
    public String message() {
        if (requeued == 0) {
            return "No published " + request.describe() + " is retained, so nothing was re-queued."
                    + " Only published events still in the table can be replayed: with relay.retention=0 they are"
                    + " deleted on publish, otherwise purged once older than the retention; undelivered and dead"
                    + " events are never replayed (see relay status / relay dead list).";
        }
        return "Re-queued " + Text.number(requeued) + " published " + request.describe()
                + "; running relays deliver them again, in order per key.";
    }
}
