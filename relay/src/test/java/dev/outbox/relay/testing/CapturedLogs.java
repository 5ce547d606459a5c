package dev.outbox.relay.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what the code under test logs through {@link System.Logger} (which goes to
 * java.util.logging when no other {@link System.LoggerFinder} is installed, as in these tests):
 * every level, messages with their parameters filled in and stack traces, as text.
 */
public final class CapturedLogs implements AutoCloseable {
    private final Logger logger;
    private final Level previous;
    private final List<String> lines = new ArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            String message = record.getMessage();
            if (record.getParameters() != null && message != null) {
                message = MessageFormat.format(message, record.getParameters());
            }
            StringBuilder line = new StringBuilder(record.getLevel() + " " + message);
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                line.append('\n').append(trace);
            }
            synchronized (lines) {
                lines.add(line.toString());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    private CapturedLogs(String name) {
        logger = Logger.getLogger(name);
        previous = logger.getLevel();
        logger.setLevel(Level.ALL);
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
    }

    /** Captures the logger {@code name} and its children, at every level, until closed. */
    public static CapturedLogs of(String name) {
        return new CapturedLogs(name);
    }

    /** Everything captured so far, one entry per line. */
    public String text() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
        logger.setLevel(previous);
    }

    /** {@code t} with its causes and stack traces, as printed. */
    public static String stackTrace(Throwable t) {
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        return trace.toString();
    }
}
