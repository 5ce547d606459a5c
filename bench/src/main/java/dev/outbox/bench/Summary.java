package dev.outbox.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Median, min and max of a few values (one per round): how every figure of the report is given.
 * The median, not the mean: with 3 to 5 rounds on a shared machine, one disturbed round would pull
 * a mean anywhere, while min and max show how far the rounds spread.
 *
 * @param values the values in the order they were measured
 */
public record Summary(List<Double> values, double median, double min, double max) {

    public Summary {
        values = List.copyOf(values);
    }

    /** @throws IllegalArgumentException if {@code values} is empty or holds a value that is not finite */
    public static Summary of(Collection<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values to summarise");
        }
        List<Double> sorted = new ArrayList<>(values);
        for (double v : sorted) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("not a finite value: " + v + " in " + values);
            }
        }
        sorted.sort(null);
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return new Summary(List.copyOf(values), median, sorted.get(0), sorted.get(n - 1));
    }

    public int n() {
        return values.size();
    }

    /** {@code "0.62 (0.55–0.70)"} with {@code decimals} digits after the point. */
    public String format(int decimals) {
        String f = "%,." + decimals + "f";
        return String.format(Locale.ROOT, f + " (" + f + "–" + f + ")", median, min, max);
    }

    /** {@code "12,345/s (11,000–13,000)"}: a rate in whole events per second. */
    public String formatRate() {
        return String.format(Locale.ROOT, "%,.0f/s (%,.0f–%,.0f)", median, min, max);
    }
}
