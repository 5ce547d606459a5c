package dev.outbox.relay.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Captures every line the code under test logs through {@link System.Logger}, stack traces
 * included, as {@code <time> <LEVEL> <logger> - <message>}. The relay's modules log through
 * {@code System.Logger}, whose default backend is {@code java.util.logging}: this attaches a
 * handler to its root logger until {@link #close}, with the project's loggers ({@code dev.outbox})
 * at every level and the others at their default (INFO): the JDBC driver, which logs through
 * {@code java.util.logging} itself, would otherwise add server details to its messages. (The
 * sidecar installs its own console backend instead; its tests check that one directly.)
 */
public final class CapturedLogs implements AutoCloseable {
    /** The start of a log entry: time, level, logger name. */
    private static final Pattern ENTRY = Pattern.compile("\\S+ +[A-Z]+ +(\\S+) - ");
    private final StringBuilder buffer = new StringBuilder();
    private final Logger root = LogManager.getLogManager().getLogger("");
    /** Held here: java.util.logging keeps loggers only weakly, and a collected one loses its level. */
    private final Logger project = Logger.getLogger("dev.outbox");
    private final Level projectLevel = project.getLevel();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String message = record.getMessage();
            Object[] parameters = record.getParameters();
            if (parameters != null && parameters.length > 0 && message != null) {
                message = java.text.MessageFormat.format(message, parameters);
            }
            StringBuilder line = new StringBuilder().append(record.getInstant()).append(' ')
                    .append(level(record.getLevel())).append(' ').append(record.getLoggerName()).append(" - ")
                    .append(message).append('\n');
            if (record.getThrown() != null) {
                line.append(stackTrace(record.getThrown()));
            }
            synchronized (buffer) {
                buffer.append(line);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private CapturedLogs() {
        handler.setLevel(Level.ALL);
        project.setLevel(Level.ALL);
        root.addHandler(handler);
    }

    /** Starts capturing every logger, at every level, until closed. */
    public static CapturedLogs start() {
        return new CapturedLogs();
    }

    /** Everything logged so far. */
    public String text() {
        synchronized (buffer) {
            return buffer.toString();
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
        root.removeHandler(handler);
        project.setLevel(projectLevel);
    }

    /** {@code t} with its causes and stack traces, as printed. */
    public static String stackTrace(Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        return trace.toString();
    }

    /** The System.Logger level names, which is what the sidecar prints too. */
    private static String level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (v >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (v >= Level.INFO.intValue()) {
            return "INFO";
        }
        return v >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
    }
}
