package dev.outbox.relay.sidecar;

import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.ops.ReplayRequest;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * A one-line text progress bar for long operator commands (replay, purge), e.g.
 * {@code [##########..........]  50%  5,000/10,000}. It redraws itself in place with a carriage
 * return, so it belongs on an interactive terminal; pass it directly as the {@code progress}
 * callback of {@link Operations#replay(ReplayRequest, LongConsumer)}.
 *
 * <p>Not thread-safe: call it from the thread doing the work. It never fails the operation it
 * reports on: a count beyond the total shows as 100% with the real count.
 */
final class ProgressBar implements LongConsumer {
    private final PrintStream out;
    private final long total;
    private final int width;
    private String last;

    /**
     * @param out where to draw, usually {@code System.err} so that stdout stays machine-readable
     * @param total the count that means 100%; 0 means nothing to do (drawn as complete)
     * @param width number of bar characters between the brackets, 1 to 200
     */
    ProgressBar(PrintStream out, long total, int width) {
        this.out = Objects.requireNonNull(out, "out");
        if (total < 0) {
            throw new IllegalArgumentException("progress total must be >= 0 (was " + total + ")");
        }
        if (width < 1 || width > 200) {
            throw new IllegalArgumentException("progress bar width must be between 1 and 200 (was " + width + ")");
        }
        this.total = total;
        this.width = width;
    }

    /** A 20-character bar. */
    ProgressBar(PrintStream out, long total) {
        this(out, total, 20);
    }

    /**
     * The bar's text for {@code done} of {@code total}, without control characters.
     *
     * @throws IllegalArgumentException if {@code total} is negative or {@code width} is not 1 to 200
     */
    static String render(long done, long total, int width) {
        if (total < 0 || width < 1 || width > 200) {
            throw new IllegalArgumentException("total must be >= 0 and width 1 to 200 (was " + total + ", " + width + ")");
        }
        long shown = Math.max(0, done);
        double fraction = total == 0 ? 1.0 : Math.min(1.0, (double) shown / total);
        int filled = (int) Math.floor(fraction * width);
        int percent = (int) Math.floor(fraction * 100);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
                + String.format(Locale.ROOT, "%3d%%  %s/%s", percent, Text.number(shown), Text.number(total));
    }

    /** Redraws the bar for {@code done} (only when its text changed, so frequent calls are cheap). */
    @Override
    public void accept(long done) {
        String text = render(done, total, width);
        if (!text.equals(last)) {
            // Pad over a longer previous line so that no stale characters remain.
            int stale = last == null ? 0 : Math.max(0, last.length() - text.length());
            out.print("\r" + text + " ".repeat(stale));
            out.flush();
            last = text;
        }
    }

    /** Ends the line, leaving the last state visible. */
    void finish() {
        if (last == null) {
            accept(0);
        }
        out.println();
        out.flush();
    }
}
