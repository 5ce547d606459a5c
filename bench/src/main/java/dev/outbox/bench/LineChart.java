package dev.outbox.bench;

import java.awt.BasicStroke;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lines over a numeric x axis (linear or logarithmic): per series a list of points, each either a
 * plain value or a {@link Summary} of rounds drawn at its median with a min-max whisker.
 */
public final class LineChart implements Chart {
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logX;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>();
    private Double yMaxOverride;

    /** One point: x, y (the median), and the whisker's low and high ends. */
    private static double[] point(double x, double y, double low, double high) {
        return new double[] {x, y, low, high};
    }

    public LineChart(String title, String xLabel, String yLabel, boolean logX) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logX = logX;
    }

    @Override
    public String title() {
        return title;
    }

    public LineChart point(String seriesName, double x, double y) {
        series.computeIfAbsent(seriesName, s -> new ArrayList<>()).add(point(x, y, y, y));
        return this;
    }

    public LineChart point(String seriesName, double x, Summary y) {
        series.computeIfAbsent(seriesName, s -> new ArrayList<>()).add(point(x, y.median(), y.min(), y.max()));
        return this;
    }

    /** Fixes the top of the y axis (e.g. 1 for a CDF). */
    public LineChart yMax(double max) {
        this.yMaxOverride = max;
        return this;
    }

    @Override
    public void write(Path png) {
        if (series.isEmpty()) {
            throw new IllegalStateException("no points in chart \"" + title + "\"");
        }
        List<double[]> all = series.values().stream().flatMap(List::stream).toList();
        double xMin = all.stream().mapToDouble(p -> p[0]).min().orElse(0);
        double xMax = all.stream().mapToDouble(p -> p[0]).max().orElse(1);
        double yMax = yMaxOverride != null ? yMaxOverride : all.stream().mapToDouble(p -> p[3]).max().orElse(1) * 1.08;
        Canvas c = new Canvas(title);
        c.yAxis(0, yMax, yLabel);
        c.xAxis(logX ? Math.max(xMin, 1e-9) : Math.min(0, xMin), xMax, logX, xLabel);
        List<String> names = new ArrayList<>(series.keySet());
        for (int si = 0; si < names.size(); si++) {
            List<double[]> points = series.get(names.get(si));
            c.g.setColor(Canvas.PALETTE[si % Canvas.PALETTE.length]);
            c.g.setStroke(new BasicStroke(2));
            for (int i = 1; i < points.size(); i++) {
                c.g.drawLine(c.x(points.get(i - 1)[0]), c.y(points.get(i - 1)[1]), c.x(points.get(i)[0]),
                        c.y(points.get(i)[1]));
            }
            c.g.setStroke(new BasicStroke(1.5f));
            boolean dots = points.size() <= 30;
            for (double[] p : points) {
                int px = c.x(p[0]);
                if (p[2] != p[3]) {
                    c.g.drawLine(px, c.y(p[2]), px, c.y(p[3]));
                    c.g.drawLine(px - 4, c.y(p[2]), px + 4, c.y(p[2]));
                    c.g.drawLine(px - 4, c.y(p[3]), px + 4, c.y(p[3]));
                }
                if (dots) {
                    c.g.fillOval(px - 4, c.y(p[1]) - 4, 8, 8);
                }
            }
        }
        c.g.setStroke(new BasicStroke(1));
        c.frame();
        c.legend(names);
        c.write(png);
    }
}
