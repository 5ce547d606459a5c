package dev.outbox.bench.writer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * What {@link WriterBench} measured: one {@link Run} per variant and round. Ratios are taken per
 * round (both figures from the same few seconds of a noisy machine), then summarised as
 * median, min and max over the rounds.
 *
 * @param threads writer threads, each with its own connection from the pool
 * @param seconds measured length of each run
 * @param payloadBytes size of the JSON payload text each event carries
 * @param runs every run, in the order it ran
 */
public record WriterBenchResult(int threads, double seconds, int payloadBytes, List<Run> runs) {
    public WriterBenchResult {
        runs = List.copyOf(runs);
    }

    /**
     * One measured run of one variant.
     *
     * @param variant {@link WriterBench#WRITER}, {@link WriterBench#HAND} or {@link WriterBench#GRUELBOX}
     * @param round 1-based round
     * @param transactions committed transactions (each: one business row and one event)
     * @param seconds elapsed wall-clock time
     * @param clientCpuMicrosPerTx CPU time of the writer threads per transaction (JVM thread CPU time)
     * @param serverCpuMicrosPerTx CPU time of the database backends per transaction, or NaN when
     *     the server's /proc is not readable from here
     */
    public record Run(String variant, int round, long transactions, double seconds,
            double clientCpuMicrosPerTx, double serverCpuMicrosPerTx) {
        public double tps() {
            return transactions / seconds;
        }

        /** Client and server CPU per transaction; NaN without the server's figures. */
        public double cpuMicrosPerTx() {
            return clientCpuMicrosPerTx + serverCpuMicrosPerTx;
        }
    }

    /** Median, min and max of a few values. */
    public record Stats(double median, double min, double max) {
        static Stats of(double[] values) {
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            return new Stats(median, sorted[0], sorted[n - 1]);
        }

        String format(String pattern) {
            return String.format(Locale.ROOT, pattern + " (" + pattern + "–" + pattern + ")", median, min, max);
        }
    }

    public int rounds() {
        return runs.stream().mapToInt(Run::round).max().orElse(0);
    }

    /** Events written by a variant over all its measured runs. */
    public long events(String variant) {
        return runs.stream().filter(r -> r.variant().equals(variant)).mapToLong(Run::transactions).sum();
    }

    public Stats tps(String variant) {
        return stats(variant, Run::tps);
    }

    public Stats clientCpu(String variant) {
        return stats(variant, Run::clientCpuMicrosPerTx);
    }

    public Stats serverCpu(String variant) {
        return stats(variant, Run::serverCpuMicrosPerTx);
    }

    /** Per round: tps of {@code variant} ÷ tps of {@code baseline}. */
    public Stats ratio(String variant, String baseline) {
        double[] ratios = new double[rounds()];
        for (int round = 1; round <= ratios.length; round++) {
            ratios[round - 1] = run(variant, round).tps() / run(baseline, round).tps();
        }
        return Stats.of(ratios);
    }

    /**
     * Per round: CPU per transaction (writer threads + database backends) of {@code baseline} ÷
     * that of {@code variant}, so above 1 means {@code variant} is cheaper; NaN without the
     * server's figures. On a machine shared with other work this moves less than tps.
     */
    public Stats cpuRatio(String variant, String baseline) {
        double[] ratios = new double[rounds()];
        for (int round = 1; round <= ratios.length; round++) {
            ratios[round - 1] = run(baseline, round).cpuMicrosPerTx() / run(variant, round).cpuMicrosPerTx();
        }
        return Stats.of(ratios);
    }

    /** The writer ÷ the hand-written INSERT (goal ≥ 0.95). */
    public Stats writerVsHand() {
        return ratio(WriterBench.WRITER, WriterBench.HAND);
    }

    /** The writer ÷ gruelbox transaction-outbox's {@code schedule()} (goal ≥ 1.0). */
    public Stats writerVsGruelbox() {
        return ratio(WriterBench.WRITER, WriterBench.GRUELBOX);
    }

    private Run run(String variant, int round) {
        return runs.stream().filter(r -> r.variant().equals(variant) && r.round() == round).findFirst()
                .orElseThrow(() -> new IllegalStateException("no run of " + variant + " in round " + round));
    }

    private Stats stats(String variant, ToDoubleFunction<Run> value) {
        return Stats.of(runs.stream().filter(r -> r.variant().equals(variant)).mapToDouble(value).toArray());
    }

    /** A plain-text summary: medians with (min–max) over the rounds. */
    public String render() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "writer transaction (business row + one event of %,d bytes of JSON and a traceparent), %d threads,"
                        + " %d interleaved rounds of %.0f s; median (min–max):%n", payloadBytes, threads, rounds(), seconds));
        for (String variant : WriterBench.VARIANTS) {
            Stats cpu = serverCpu(variant);
            out.append(String.format(Locale.ROOT, "  %-9s %s tps, %,d events; client CPU %s µs/tx; server CPU %s%n",
                    variant, tps(variant).format("%,.0f"), events(variant), clientCpu(variant).format("%.1f"),
                    Double.isNaN(cpu.median()) ? "not readable" : cpu.format("%.1f") + " µs/tx"));
        }
        out.append(String.format(Locale.ROOT, "  writer ÷ hand INSERT:  %s tps ratio; %s CPU ratio (hand's CPU/tx ÷ writer's)%n",
                writerVsHand().format("%.2f"), cpuRatio(WriterBench.WRITER, WriterBench.HAND).format("%.2f")));
        out.append(String.format(Locale.ROOT, "  writer ÷ gruelbox:     %s tps ratio; %s CPU ratio (gruelbox's CPU/tx ÷ writer's)%n",
                writerVsGruelbox().format("%.2f"), cpuRatio(WriterBench.WRITER, WriterBench.GRUELBOX).format("%.2f")));
        return out.toString();
    }
}
