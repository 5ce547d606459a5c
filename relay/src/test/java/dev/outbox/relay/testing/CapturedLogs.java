package dev.outbox.relay.testing;

import dev.outbox.relay.sidecar.ConsoleLoggerFinder;
import dev.outbox.relay.sidecar.SidecarConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Captures every line the code under test logs through {@link System.Logger}: the tests run with
 * the sidecar's {@link ConsoleLoggerFinder} (registered in the test resources), which this
 * points at a buffer, at DEBUG, with stack traces as the sidecar prints them. {@link #close}
 * restores the default (text, INFO, standard error).
 */
public final class CapturedLogs implements AutoCloseable {
    /** The start of a text log entry: time, level, logger name. */
    private static final Pattern ENTRY = Pattern.compile("\\S+ +[A-Z]+ +(\\S+) - ");
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    private CapturedLogs() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.DEBUG,
                new PrintStream(buffer, true, StandardCharsets.UTF_8));
    }

    /** Starts capturing every logger, at every level, until closed. */
    public static CapturedLogs start() {
        return new CapturedLogs();
    }

    /** Everything logged so far. */
    public String text() {
        synchronized (buffer) {
            return buffer.toString(StandardCharsets.UTF_8);
        }
    }

    /**
     * What loggers whose name starts with {@code prefix} logged so far, stack traces included
     * (e.g. {@code dev.outbox.}: the project's own lines, without the JDK's or a client library's).
     */
    public String text(String prefix) {
        StringBuilder out = new StringBuilder();
        boolean keep = false;
        for (String line : text().split("\n")) {
            Matcher entry = ENTRY.matcher(line);
            if (entry.lookingAt()) {
                keep = entry.group(1).startsWith(prefix);
            }
            if (keep) {
                out.append(line).append('\n');
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.INFO, null);
    }

    /** {@code t} with its causes and stack traces, as printed. */
    public static String stackTrace(Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        return trace.toString();
    }
}
