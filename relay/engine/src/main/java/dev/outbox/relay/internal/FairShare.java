package dev.outbox.relay.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * How an instance moves towards its fair share of the slots, {@code ceil(slots / instances)}:
 * above it, release randomly chosen slots of its own; below it, try free slots (owned by no
 * instance), starting at a random one so that instances joining together do not all race for
 * slot 0. Pure: {@link SlotOwnership} reads the locks and applies the change.
 *
 * @param release slots to give up now
 * @param take free slots to try to lock (another instance may get some first: the next round tries others)
 */
record FairShare(List<Integer> release, List<Integer> take) {

    FairShare {
        release = List.copyOf(release);
        take = List.copyOf(take);
    }

    /** {@code ceil(slots / instances)}; a count below 1 is taken as 1 (this instance is live). */
    static int share(int slots, int instances) {
        int n = Math.max(instances, 1);
        return (slots + n - 1) / n;
    }

    /**
     * The change for an instance owning {@code owned} while other instances own {@code takenByOthers}.
     *
     * @param owned this instance's slots, in a stable order (the random choice among them is then reproducible)
     * @param random the choice of slots to release and of the free slot to start from
     */
    static FairShare plan(int slots, int instances, Set<Integer> owned, Set<Integer> takenByOthers, Random random) {
        int share = share(slots, instances);
        if (owned.size() > share) {
            List<Integer> release = new ArrayList<>(owned);
            Collections.shuffle(release, random);
            return new FairShare(release.subList(0, owned.size() - share), List.of());
        }
        if (owned.size() < share) {
            List<Integer> free = new ArrayList<>();
            for (int slot = 0; slot < slots; slot++) {
                if (!owned.contains(slot) && !takenByOthers.contains(slot)) {
                    free.add(slot);
                }
            }
            Collections.rotate(free, free.isEmpty() ? 0 : random.nextInt(free.size()));
            return new FairShare(List.of(), free.subList(0, Math.min(free.size(), share - owned.size())));
        }
        return new FairShare(List.of(), List.of());
    }
}
