package dev.outbox.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs two things in interleaved rounds: A B, then B A, then A B … so that a drift of the machine
 * (another process, a warming cache, a growing table) falls on both alike. A warm-up run of each
 * comes first (JIT, connections, the broker's first topic) unless the run is {@code --quick}; it is
 * not reported, and a scenario may cut it short (it gets round 0).
 */
public final class Rounds {

    /** One timed run; {@code round} is 0 for the warm-up, then 1, 2, … */
    @FunctionalInterface
    public interface Run {
        Measurement run(int round) throws Exception;
    }

    /** One run that yields any result (a latency distribution, …); {@code round} as for {@link Run}. */
    @FunctionalInterface
    public interface Trial<T> {
        T run(int round) throws Exception;
    }

    /** The results of both sides, one per round, in round order (the warm-up left out). */
    public record Interleaved<T>(List<T> a, List<T> b) {
    }

    private Rounds() {
    }

    public static Comparison compare(BenchContext context, String label, String nameA, Run a, String nameB, Run b)
            throws Exception {
        return compare(context, label, nameA, a, nameB, b, true);
    }

    /**
     * @param warmUp whether to run each once, unreported, first (not needed when an earlier
     *        comparison of the scenario already ran the same code)
     */
    public static Comparison compare(BenchContext context, String label, String nameA, Run a, String nameB, Run b,
                                     boolean warmUp) throws Exception {
        Interleaved<Measurement> r = interleave(context, label, nameA, a::run, nameB, b::run, warmUp);
        Comparison c = new Comparison(label, nameA, nameB, r.a(), r.b());
        context.log("  => %s / %s = %s", nameA, nameB, c.ratio().format(2));
        return c;
    }

    /** A B, B A, A B …: {@link BenchContext#rounds()} results of each, after a warm-up of each if asked (not with --quick). */
    public static <T> Interleaved<T> interleave(BenchContext context, String label, String nameA, Trial<T> a,
                                                String nameB, Trial<T> b, boolean warmUp) throws Exception {
        List<T> as = new ArrayList<>();
        List<T> bs = new ArrayList<>();
        context.log("%s", label);
        if (warmUp && !context.quick()) {
            context.log("  warm-up %s: %s", nameA, a.run(0));
            context.log("  warm-up %s: %s", nameB, b.run(0));
        }
        for (int round = 1; round <= context.rounds(); round++) {
            boolean aFirst = round % 2 == 1;
            T first = (aFirst ? a : b).run(round);
            context.log("  round %d %s: %s", round, aFirst ? nameA : nameB, first);
            T second = (aFirst ? b : a).run(round);
            context.log("  round %d %s: %s", round, aFirst ? nameB : nameA, second);
            as.add(aFirst ? first : second);
            bs.add(aFirst ? second : first);
        }
        return new Interleaved<>(as, bs);
    }
}
