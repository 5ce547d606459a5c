package dev.outbox.relay.sidecar;

import dev.outbox.core.internal.JsonFactories;
import dev.outbox.relay.internal.ControlChars;
import dev.outbox.relay.internal.LogFields;
import jakarta.json.JsonObjectBuilder;
import java.io.PrintStream;
import java.text.MessageFormat;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.MissingResourceException;
import java.util.ResourceBundle;
import java.util.Set;

/**
 * One named logger of {@link ConsoleLoggerFinder}. Text lines read
 * {@code 2026-11-26T12:00:00.123Z INFO  dev.outbox.relay - relay connected instance=x}; JSON lines
 * are objects with {@code time}, {@code level}, {@code logger}, {@code message}, the entries of a
 * trailing {@link LogFields} parameter as top-level fields, and {@code error} for a throwable.
 *
 * <p>A text record is one line (then its stack trace, if any): control characters in the message,
 * its parameters and the throwables' messages are escaped ({@link ControlChars}), so an event key
 * holding a newline or ESC can neither forge a log line nor drive the terminal. JSON lines are
 * exact: the JSON writer escapes control characters itself.
 */
final class ConsoleLogger implements System.Logger {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final Set<String> RESERVED = Set.of("time", "level", "logger", "message");

    private final String name;

    ConsoleLogger(String name) {
        this.name = name;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public boolean isLoggable(Level level) {
        return level != Level.OFF && level.getSeverity() >= ConsoleLoggerFinder.settings().thresholdFor(name).getSeverity();
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        if (isLoggable(level)) {
            write(level, localize(bundle, msg), null, thrown);
        }
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        if (isLoggable(level)) {
            write(level, localize(bundle, format), params, null);
        }
    }

    private void write(Level level, String format, Object[] params, Throwable thrown) {
        ConsoleLoggerFinder.Settings settings = ConsoleLoggerFinder.settings();
        String line;
        try {
            line = settings.format() == SidecarConfig.LogFormat.JSON
                    ? json(level, format, params, thrown) : text(level, format, params, thrown);
        } catch (RuntimeException e) {
            // A broken record must not break the caller; keep what we can.
            line = TIME.format(Instant.now()) + " " + label(level) + " " + name + " - " + ControlChars.escape(format);
        }
        line = settings.redactor().apply(line);
        PrintStream out = settings.stream();
        synchronized (out) {
            out.print(line + System.lineSeparator());
            out.flush();
        }
    }

    private String text(Level level, String format, Object[] params, Throwable thrown) {
        StringBuilder line = new StringBuilder()
                .append(TIME.format(Instant.now())).append(' ')
                .append(String.format("%-5s", label(level))).append(' ')
                .append(name).append(" - ")
                .append(ControlChars.escape(format(format, params)));
        if (thrown != null) {
            appendTrace(line, thrown, new StackTraceElement[0], "", Collections.newSetFromMap(new IdentityHashMap<>()));
        }
        return line.toString();
    }

    /**
     * The stack trace as {@link Throwable#printStackTrace()} writes it (frames in common with the
     * enclosing trace elided), but with each throwable's text escaped: exception messages quote
     * keys and broker answers, and a newline in one would start a forged record.
     */
    private static void appendTrace(StringBuilder out, Throwable t, StackTraceElement[] enclosing, String caption,
                                    Set<Throwable> seen) {
        String nl = System.lineSeparator();
        if (!seen.add(t)) {
            out.append(nl).append(caption).append("[CIRCULAR REFERENCE: ").append(ControlChars.escape(t.toString()))
                    .append(']');
            return;
        }
        StackTraceElement[] frames = t.getStackTrace();
        int m = frames.length - 1;
        int n = enclosing.length - 1;
        while (m >= 0 && n >= 0 && frames[m].equals(enclosing[n])) {
            m--;
            n--;
        }
        out.append(nl).append(caption).append(ControlChars.escape(t.toString()));
        for (int i = 0; i <= m; i++) {
            out.append(nl).append("\tat ").append(ControlChars.escape(frames[i].toString()));
        }
        if (m < frames.length - 1) {
            out.append(nl).append("\t... ").append(frames.length - 1 - m).append(" more");
        }
        for (Throwable suppressed : t.getSuppressed()) {
            appendTrace(out, suppressed, frames, "\tSuppressed: ", seen);
        }
        if (t.getCause() != null) {
            appendTrace(out, t.getCause(), frames, "Caused by: ", seen);
        }
    }

    String json(Level level, String format, Object[] params, Throwable thrown) {
        Map<String, Object> fields = Map.of();
        Object[] rest = params;
        String message = format;
        if (params != null && params.length > 0 && params[params.length - 1] instanceof LogFields logFields) {
            fields = logFields.fields();
            rest = Arrays.copyOf(params, params.length - 1);
            // The fields become JSON fields; their placeholder would only repeat them in the text.
            message = format.replace("{" + (params.length - 1) + "}", "").strip();
        }
        JsonObjectBuilder object = JsonFactories.objectBuilder()
                .add("time", TIME.format(Instant.now()))
                .add("level", label(level))
                .add("logger", name)
                .add("message", format(message, rest));
        for (Map.Entry<String, Object> field : fields.entrySet()) { // in the order the caller gave
            String key = RESERVED.contains(field.getKey()) ? field.getKey() + "_" : field.getKey();
            add(object, key, field.getValue());
        }
        if (thrown != null) {
            object.add(fields.containsKey("error") ? "exception" : "error", summary(thrown));
        }
        return object.build().toString();
    }

    private static void add(JsonObjectBuilder object, String key, Object value) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            object.add(key, ((Number) value).longValue());
        } else if (value instanceof Double d && Double.isFinite(d)) {
            object.add(key, d);
        } else if (value instanceof Boolean b) {
            object.add(key, b);
        } else {
            object.add(key, String.valueOf(value));
        }
    }

    /** Class and message of the throwable and its causes, on one line. */
    static String summary(Throwable thrown) {
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (Throwable t = thrown; t != null && depth < 5; t = t.getCause(), depth++) {
            text.append(depth == 0 ? "" : "; caused by ").append(t.getClass().getName());
            if (t.getMessage() != null) {
                text.append(": ").append(t.getMessage());
            }
        }
        return text.toString();
    }

    private static String format(String format, Object[] params) {
        if (format == null) {
            return "";
        }
        if (params == null || params.length == 0) {
            return format;
        }
        try {
            return MessageFormat.format(format, params);
        } catch (IllegalArgumentException e) {
            return format + " " + Arrays.toString(params);
        }
    }

    private static String localize(ResourceBundle bundle, String key) {
        if (bundle == null || key == null) {
            return key;
        }
        try {
            return bundle.getString(key);
        } catch (MissingResourceException e) {
            return key;
        }
    }

    private static String label(Level level) {
        return switch (level) {
            case WARNING -> "WARN";
            case ALL, OFF -> "TRACE";
            default -> level.name();
        };
    }
}
