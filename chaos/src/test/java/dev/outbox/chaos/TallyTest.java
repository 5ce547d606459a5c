package dev.outbox.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The counting rules of the table (see Tally's javadoc and the README's "How it counts"). */
class TallyTest {
    /** Key k0 has events 0..5, all committed and published. */
    private static Tally.Counts count(List<Delivery> deliveries, List<Fault> faults) {
        List<Tally.Stored> stored = new ArrayList<>();
        for (int n = 0; n < 6; n++) {
            stored.add(new Tally.Stored("k0", n, true, false));
        }
        // Round n counts as committed at n * 100 ms.
        return Tally.count(stored, deliveries, Set.of(), faults, (key, n) -> n * 100L);
    }

    private static List<Delivery> arrivals(int... ns) {
        List<Delivery> out = new ArrayList<>();
        for (int i = 0; i < ns.length; i++) {
            out.add(new Delivery("k0", ns[i], 1000 + i * 10L));
        }
        return out;
    }

    @Test
    void resendAfterCrashIsDuplicatesNotReordering() {
        Tally.Counts c = count(arrivals(0, 1, 2, 3, 2, 3, 4, 5), List.of());
        assertThat(c.duplicates()).isEqualTo(2);
        assertThat(c.orderViolations()).isZero();
        assertThat(c.lost()).isZero();
    }

    @Test
    void firstOccurrenceOutOfOrderIsAViolation() {
        Tally.Counts c = count(arrivals(0, 2, 1, 3, 4, 5), List.of());
        assertThat(c.orderViolations()).isEqualTo(1);
        assertThat(c.duplicates()).isZero();
    }

    @Test
    void missingEventIsLostNotReordered() {
        Tally.Counts c = count(arrivals(0, 1, 3, 4, 5), List.of());
        assertThat(c.lost()).isEqualTo(1);
        assertThat(c.orderViolations()).isZero();
    }

    @Test
    void recoveryIsTheDrainOfWhatWasCommittedBeforeTheFaultEnded() {
        // Events 0..5 committed at 0..500 ms; they arrive at 1000..1050; the fault ended at 250:
        // events 0, 1 and 2 were committed by then, the last of them (2) arrived at 1020.
        Tally.Counts c = count(arrivals(0, 1, 2, 3, 4, 5), List.of(new Fault("test", 100, 250)));
        assertThat(c.recoveryMillis()).isEqualTo(1020 - 250);
        assertThat(c.backlog()).isEqualTo(3);
        assertThat(c.resumeMillis()).isEqualTo(1000 - 250);
    }
}
