package dev.outbox.bench;

import java.util.Locale;

/**
 * What one timed run did: how many events it moved in how many seconds.
 *
 * @param events events the run moved (published, drained, sent)
 * @param seconds wall-clock time of the run, from its start to its last acknowledgement
 * @param note what the report should say about this run, or empty (e.g. "capped at 180 s")
 */
public record Measurement(long events, double seconds, String note) {

    public Measurement {
        if (events < 0 || !(seconds > 0)) {
            throw new IllegalArgumentException("a run moves >= 0 events in > 0 s (was " + events + " in " + seconds + " s)");
        }
        note = note == null ? "" : note;
    }

    public static Measurement of(long events, long startNanos, long endNanos) {
        return new Measurement(events, Math.max(1, endNanos - startNanos) / 1e9, "");
    }

    public Measurement withNote(String text) {
        return new Measurement(events, seconds, note.isEmpty() ? text : note + "; " + text);
    }

    /** Events per second. */
    public double rate() {
        return events / seconds;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%,d events in %.2f s = %,.0f/s%s", events, seconds, rate(),
                note.isEmpty() ? "" : " (" + note + ")");
    }
}
