package dev.outbox.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Grouped bars: per category (a case such as {@code sqs fifo}) one bar per series (such as
 * {@code relay / hand}), the bar at the median of the rounds and a whisker from min to max.
 */
public final class BarChart implements Chart {
    private final String title;
    private final String yLabel;
    private final List<String> categories = new ArrayList<>();
    private final Map<String, Map<String, Summary>> series = new LinkedHashMap<>();
    private Double reference;
    private String referenceLabel;

    public BarChart(String title, String yLabel) {
        this.title = title;
        this.yLabel = yLabel;
    }

    @Override
    public String title() {
        return title;
    }

    /** The bar of {@code seriesName} in {@code category} (a {@code \n} in a category breaks its label). */
    public BarChart bar(String category, String seriesName, Summary value) {
        if (!categories.contains(category)) {
            categories.add(category);
        }
        series.computeIfAbsent(seriesName, s -> new LinkedHashMap<>()).put(category, value);
        return this;
    }

    /** A dashed horizontal line, e.g. at ratio 1 labelled "as fast as by hand". */
    public BarChart reference(double value, String label) {
        this.reference = value;
        this.referenceLabel = label;
        return this;
    }

    /** Two decimals for ratios and small rates, whole numbers (with k/M) above 100. */
    private static String label(double v) {
        return Math.abs(v) >= 100 ? Canvas.number(Math.rint(v)) : String.format(java.util.Locale.ROOT, "%.2f", v);
    }

    @Override
    public void write(Path png) {
        if (categories.isEmpty()) {
            throw new IllegalStateException("no bars in chart \"" + title + "\"");
        }
        Canvas c = new Canvas(title);
        double max = series.values().stream().flatMap(m -> m.values().stream()).mapToDouble(Summary::max).max().orElse(1);
        if (reference != null) {
            max = Math.max(max, reference);
        }
        c.yAxis(0, max * 1.08, yLabel);
        int groups = categories.size();
        int perGroup = series.size();
        double groupWidth = (double) (c.right - c.left) / groups;
        double barWidth = Math.min(60, groupWidth * 0.8 / perGroup);
        List<String> names = new ArrayList<>(series.keySet());
        for (int gi = 0; gi < groups; gi++) {
            String category = categories.get(gi);
            double center = c.left + groupWidth * (gi + 0.5);
            c.g.setColor(Color.BLACK);
            c.category(category, (int) center);
            for (int si = 0; si < perGroup; si++) {
                Summary s = series.get(names.get(si)).get(category);
                if (s == null) {
                    continue;
                }
                int x0 = (int) Math.round(center - barWidth * perGroup / 2 + si * barWidth);
                int yTop = c.y(s.median());
                c.g.setColor(Canvas.PALETTE[si % Canvas.PALETTE.length]);
                c.g.fillRect(x0 + 2, yTop, (int) barWidth - 4, c.y(0) - yTop);
                int mid = x0 + (int) (barWidth / 2);
                c.g.setColor(Color.BLACK);
                c.g.setStroke(new BasicStroke(1.5f));
                c.g.drawLine(mid, c.y(s.min()), mid, c.y(s.max()));
                c.g.drawLine(mid - 5, c.y(s.min()), mid + 5, c.y(s.min()));
                c.g.drawLine(mid - 5, c.y(s.max()), mid + 5, c.y(s.max()));
                c.g.setStroke(new BasicStroke(1));
                c.centered(label(s.median()), mid, c.y(s.max()) - 5);
            }
        }
        if (reference != null) {
            c.referenceLine(reference, referenceLabel);
        }
        c.frame();
        c.legend(names);
        c.write(png);
    }
}
