package dev.outbox.sample.consumers;

import java.io.PrintStream;

/**
 * The readable trace of what happened, one line per step: what the demo prints. Thread-safe
 * (one {@code println} per line).
 */
public final class Trace {
    private final PrintStream out;

    public Trace(PrintStream out) {
        this.out = out;
    }

    /** A trace that prints nothing (tests that count effects in the database). */
    public static Trace silent() {
        return new Trace(new PrintStream(java.io.OutputStream.nullOutputStream()));
    }

    /** Prints {@code who} in a fixed-width column, then the message. */
    public void line(String who, String message) {
        out.println(String.format("%-13s %s", who, message));
    }
}
