package dev.outbox.relay.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class FairShareTest {
    private static final int SLOTS = 64;

    private static Set<Integer> range(int from, int to) {
        return IntStream.range(from, to).boxed().collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void theShareIsTheSlotsDividedByTheInstancesRoundedUp() {
        assertThat(IntStream.of(0, 1, 2, 3, 5, 64, 65, 100).map(n -> FairShare.share(SLOTS, n)).boxed().toList())
                .containsExactly(64, 64, 32, 22, 13, 1, 1, 1);
    }

    @Test
    void aLoneInstanceTakesEveryFreeSlot() {
        FairShare change = FairShare.plan(SLOTS, 1, Set.of(), Set.of(), new Random(1));
        assertThat(change.release()).isEmpty();
        assertThat(new TreeSet<>(change.take())).isEqualTo(range(0, SLOTS));
    }

    @Test
    void anInstanceBelowItsShareTriesOnlyFreeSlotsAndNoMoreThanItLacks() {
        Set<Integer> owned = range(0, 10);
        Set<Integer> others = range(10, 40);
        FairShare change = FairShare.plan(SLOTS, 2, owned, others, new Random(7));
        assertThat(change.release()).isEmpty();
        assertThat(change.take()).hasSize(22).doesNotHaveDuplicates()
                .allSatisfy(slot -> assertThat(slot).isBetween(40, SLOTS - 1));
    }

    @Test
    void freeSlotsAreTriedFromARandomStartInSlotOrder() {
        List<Integer> take = FairShare.plan(SLOTS, 4, Set.of(), range(4, SLOTS), new Random(3)).take();
        assertThat(take).hasSize(4);
        // a rotation of 0, 1, 2, 3
        int start = take.get(0);
        assertThat(take).containsExactly(start, (start + 1) % 4, (start + 2) % 4, (start + 3) % 4);
    }

    @Test
    void theRandomValueChoosesWhereInTheFreeSlotsToStart() {
        Random five = new Random() {
            @Override
            public int nextInt(int bound) {
                return 5;
            }
        };
        // 64 free slots rotated by 5: 59, 60, …, 63, 0, 1, …
        assertThat(FairShare.plan(SLOTS, 8, Set.of(), Set.of(), five).take()).containsExactly(59, 60, 61, 62, 63, 0, 1, 2);
    }

    @Test
    void anInstanceAboveItsShareReleasesTheExcessOfItsOwnSlots() {
        Set<Integer> owned = range(0, SLOTS);
        FairShare change = FairShare.plan(SLOTS, 3, owned, Set.of(), new Random(5));
        assertThat(change.take()).isEmpty();
        assertThat(change.release()).hasSize(SLOTS - 22).doesNotHaveDuplicates().allMatch(owned::contains);
    }

    @Test
    void anInstanceAtItsShareChangesNothing() {
        FairShare change = FairShare.plan(SLOTS, 2, range(0, 32), range(32, SLOTS), new Random(9));
        assertThat(change).isEqualTo(new FairShare(List.of(), List.of()));
    }

    @Test
    void noFreeSlotMeansNothingToTake() {
        FairShare change = FairShare.plan(SLOTS, 2, range(0, 10), range(10, SLOTS), new Random(11));
        assertThat(change.take()).isEmpty();
        assertThat(change.release()).isEmpty();
    }

    @Test
    void theSameRandomSeedGivesTheSameChange() {
        Set<Integer> owned = range(0, 40);
        assertThat(FairShare.plan(SLOTS, 2, owned, Set.of(), new Random(42)))
                .isEqualTo(FairShare.plan(SLOTS, 2, owned, Set.of(), new Random(42)));
    }
}
