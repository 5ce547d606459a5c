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
}
