package dev.outbox.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The drawing shared by the charts: a white image, a title, a plot area with labelled axes and
 * grid lines, a legend. Coordinates of the data are mapped to pixels by {@link #x} and {@link #y}.
 */
final class Canvas {
    static final int WIDTH = 900;
    static final int HEIGHT = 520;
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};
    private static final Color GRID = new Color(0xe6e6e6);

    final BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    final Graphics2D g = image.createGraphics();
    final int left = 90;
    final int right = WIDTH - 30;
    final int top = 50;
    final int bottom = HEIGHT - 75;
    private double xMin;
    private double xMax;
    private boolean xLog;
    private double yMin;
    private double yMax;
    /** Pixels between the plot area's sides and the ends of a numeric x axis, so edge points stay visible. */
    private int xInset;

    Canvas(String title) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        centered(title, WIDTH / 2, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    }

    /** The y range (the x range of bar charts is their categories) and the y axis with its label. */
    void yAxis(double min, double max, String label) {
        List<Double> ticks = niceTicks(min, max);
        yMin = ticks.get(0);
        yMax = ticks.get(ticks.size() - 1);
        FontMetrics fm = g.getFontMetrics();
        for (double t : ticks) {
            int py = y(t);
            g.setColor(GRID);
            g.drawLine(left, py, right, py);
            g.setColor(Color.BLACK);
            String text = number(t);
            g.drawString(text, left - 8 - fm.stringWidth(text), py + fm.getAscent() / 2 - 1);
        }
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        centered(label, -(top + bottom) / 2, 22);
        g.setTransform(saved);
    }

    /** A numeric x axis, linear or logarithmic (base 10), with its label. */
    void xAxis(double min, double max, boolean log, String label) {
        xLog = log;
        xInset = 20;
        List<Double> ticks;
        if (log) {
            ticks = new ArrayList<>();
            double lo = Math.floor(Math.log10(min));
            double hi = Math.ceil(Math.log10(max));
            if (hi == lo) {
                hi = lo + 1;
            }
            for (double e = lo; e <= hi; e++) {
                ticks.add(Math.pow(10, e));
            }
        } else {
            ticks = niceTicks(min, max);
        }
        xMin = ticks.get(0);
        xMax = ticks.get(ticks.size() - 1);
        FontMetrics fm = g.getFontMetrics();
        for (double t : ticks) {
            int px = x(t);
            g.setColor(GRID);
            g.drawLine(px, top, px, bottom);
            g.setColor(Color.BLACK);
            centered(number(t), px, bottom + 6 + fm.getAscent());
        }
        centered(label, (left + right) / 2, HEIGHT - 22);
    }

    /** A label under the x axis at a pixel position (bar charts' categories). */
    void category(String text, int px) {
        FontMetrics fm = g.getFontMetrics();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            centered(lines[i], px, bottom + 6 + fm.getAscent() + i * (fm.getHeight()));
        }
    }

    void frame() {
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1));
        g.drawRect(left, top, right - left, bottom - top);
    }

    /** A horizontal reference line (e.g. ratio 1) with a label at its right end. */
    void referenceLine(double value, String label) {
        if (value < yMin || value > yMax) {
            return;
        }
        int py = y(value);
        g.setColor(Color.DARK_GRAY);
        g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
        g.drawLine(left, py, right, py);
        g.setStroke(new BasicStroke(1));
        FontMetrics fm = g.getFontMetrics();
        g.drawString(label, right - 6 - fm.stringWidth(label), py - 4);
    }

    /** The legend, top left inside the plot area. */
    void legend(List<String> names) {
        FontMetrics fm = g.getFontMetrics();
        int width = names.stream().mapToInt(fm::stringWidth).max().orElse(0) + 40;
        int height = names.size() * (fm.getHeight() + 2) + 8;
        int x0 = left + 10;
        int y0 = top + 10;
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(x0, y0, width, height);
        g.setColor(Color.GRAY);
        g.drawRect(x0, y0, width, height);
        for (int i = 0; i < names.size(); i++) {
            int ly = y0 + 6 + i * (fm.getHeight() + 2);
            g.setColor(PALETTE[i % PALETTE.length]);
            g.fillRect(x0 + 8, ly + 3, 18, fm.getHeight() - 6);
            g.setColor(Color.BLACK);
            g.drawString(names.get(i), x0 + 32, ly + fm.getAscent());
        }
    }

    int x(double value) {
        double f = xLog ? (Math.log10(value) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))
                : (value - xMin) / (xMax - xMin);
        return (int) Math.round(left + xInset + f * (right - left - 2 * xInset));
    }

    int y(double value) {
        return (int) Math.round(bottom - (value - yMin) / (yMax - yMin) * (bottom - top));
    }

    void centered(String text, int cx, int baseline) {
        g.drawString(text, cx - g.getFontMetrics().stringWidth(text) / 2, baseline);
    }

    void write(Path png) {
        g.dispose();
        try {
            ImageIO.write(image, "png", png.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png, e);
        }
    }

    /** About 5-8 round tick values covering [min, max]. */
    static List<Double> niceTicks(double min, double max) {
        if (max <= min) {
            max = min + (min == 0 ? 1 : Math.abs(min));
        }
        double raw = (max - min) / 6;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = magnitude;
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * magnitude >= raw) {
                step = m * magnitude;
                break;
            }
        }
        List<Double> ticks = new ArrayList<>();
        double start = Math.floor(min / step) * step;
        for (double t = start; t < max + step * 0.999; t += step) {
            ticks.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
        }
        return ticks;
    }

    /** A tick label: thousands as "10k", millions as "1M", small numbers with the decimals they need. */
    static String number(double v) {
        double a = Math.abs(v);
        if (a >= 1e6 && v % 1e5 == 0) {
            return trim(String.format(Locale.ROOT, "%.1f", v / 1e6)) + "M";
        }
        if (a >= 1e3 && v % 100 == 0) {
            return trim(String.format(Locale.ROOT, "%.1f", v / 1e3)) + "k";
        }
        if (a >= 100 || v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return trim(String.format(Locale.ROOT, a >= 1 ? "%.2f" : "%.3f", v));
    }

    private static String trim(String s) {
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
