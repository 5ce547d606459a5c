package dev.outbox.relay.sidecar;

import dev.outbox.relay.internal.ControlChars;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Formatting shared by the terminal views ({@link TextViews}, {@link ProgressBar}): numbers, ages,
 * instants, slot ranges, tables.
 */
final class Text {
    private Text() {
    }

    static String number(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** An instant to the second, ISO-8601 UTC; "-" when unknown. */
    static String instant(Instant at) {
        return at == null ? "-" : at.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** A duration as a human reads it at a glance: "850ms", "42s", "3m 12s", "5h 07m", "2d 04h". */
    static String age(Duration d) {
        if (d.isNegative()) {
            d = Duration.ZERO; // clock skew between writer and database; never show "-3s ago"
        }
        long s = d.getSeconds();
        if (s < 1) {
            return d.toMillis() + "ms";
        }
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format(Locale.ROOT, "%dh %02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%dd %02dh", s / 86_400, (s % 86_400) / 3600);
    }

    /** Sorted slot numbers as compact ranges: "0-3, 7, 9-12"; "none" when empty. */
    static String ranges(Collection<Integer> sortedSlots) {
        if (sortedSlots.isEmpty()) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        Integer start = null;
        Integer prev = null;
        for (Integer slot : sortedSlots) {
            if (prev != null && slot == prev + 1) {
                prev = slot;
                continue;
            }
            if (start != null) {
                appendRange(b, start, prev);
            }
            start = slot;
            prev = slot;
        }
        appendRange(b, start, prev);
        return b.toString();
    }

    private static void appendRange(StringBuilder b, int from, int to) {
        if (b.length() > 0) {
            b.append(", ");
        }
        b.append(from);
        if (to > from) {
            b.append('-').append(to);
        }
    }

    /** One line of at most {@code max} characters (errors may span lines and be long). */
    static String oneLine(String text, int max) {
        if (text == null) {
            return "-";
        }
        return shortened(text.replaceAll("\\s+", " ").strip(), max);
    }

    /**
     * At most {@code max} characters, control characters escaped visibly: for keys and types,
     * where a newline is not layout but part of the value (and an attempt to forge a row).
     */
    static String shortened(String text, int max) {
        if (text == null) {
            return "-";
        }
        String escaped = ControlChars.escape(text);
        return escaped.length() <= max ? escaped : escaped.substring(0, max - 1) + "…";
    }

    /**
     * A plain-text table: a header row, columns padded to their widest cell, two spaces apart.
     * Cells are printed with their control characters escaped ({@link ControlChars}): values such
     * as keys and instance names come from outside and must not move the cursor or start a row.
     */
    static final class Table {
        private final String[] headers;
        private final boolean[] rightAligned;
        private final List<String[]> rows = new ArrayList<>();

        /** Headers ending in '>' are right-aligned (numbers); the '>' is not printed. */
        Table(String... headers) {
            this.headers = new String[headers.length];
            this.rightAligned = new boolean[headers.length];
            for (int i = 0; i < headers.length; i++) {
                rightAligned[i] = headers[i].endsWith(">");
                this.headers[i] = rightAligned[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
            }
        }

        Table row(String... cells) {
            if (cells.length != headers.length) {
                throw new IllegalArgumentException("expected " + headers.length + " cells, got " + cells.length);
            }
            String[] escaped = new String[cells.length];
            for (int i = 0; i < cells.length; i++) {
                escaped[i] = ControlChars.escape(cells[i]);
            }
            rows.add(escaped);
            return this;
        }

        String render(String indent) {
            int[] widths = new int[headers.length];
            for (int i = 0; i < headers.length; i++) {
                widths[i] = headers[i].length();
                for (String[] row : rows) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            StringBuilder b = new StringBuilder();
            line(b, indent, headers, widths);
            for (String[] row : rows) {
                line(b, indent, row, widths);
            }
            return b.toString();
        }

        private void line(StringBuilder b, String indent, String[] cells, int[] widths) {
            StringBuilder l = new StringBuilder(indent);
            for (int i = 0; i < cells.length; i++) {
                if (i > 0) {
                    l.append("  ");
                }
                String pad = " ".repeat(widths[i] - cells[i].length());
                boolean last = i == cells.length - 1;
                l.append(rightAligned[i] ? pad + cells[i] : last ? cells[i] : cells[i] + pad);
            }
            b.append(l.toString().stripTrailing()).append('\n');
        }
    }
}
