package dev.outbox.relay.internal;

import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ResourceBundle;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.helpers.NOPLoggerFactory;

/**
 * A {@link System.Logger} writing to an SLF4J logger; the only class of the engine that uses
 * SLF4J, loaded by {@link RelayLogs} only when SLF4J is on the class path.
 *
 * <p>The message is formatted as {@code System.Logger} formats it ({@link MessageFormat} when
 * there are parameters), so the text is the same with either backend, fields included. The
 * {@link LogFields} passed as the last parameter ({@code event_id}, {@code trace_id},
 * {@code instance}, …) are also put in the MDC for the duration of the call, values escaped as
 * in the text ({@link ControlChars}); the values the MDC had under those keys are restored after
 * it. LogFields never hold payloads or secrets, so neither does the MDC.
 */
final class Slf4jLogger implements System.Logger {
    private final org.slf4j.Logger logger;

    private Slf4jLogger(org.slf4j.Logger logger) {
        this.logger = logger;
    }

    static System.Logger of(String name) {
        return new Slf4jLogger(LoggerFactory.getLogger(name));
    }

    /** Whether SLF4J is bound to a provider that logs (without one, SLF4J falls back to no-operation). */
    static boolean hasBackend() {
        return !(LoggerFactory.getILoggerFactory() instanceof NOPLoggerFactory);
    }

    @Override
    public String getName() {
        return logger.getName();
    }

    @Override
    public boolean isLoggable(Level level) {
        return switch (level) {
            case ALL, TRACE -> logger.isTraceEnabled();
            case DEBUG -> logger.isDebugEnabled();
            case INFO -> logger.isInfoEnabled();
            case WARNING -> logger.isWarnEnabled();
            case ERROR -> logger.isErrorEnabled();
            case OFF -> false;
        };
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        if (isLoggable(level)) {
            emit(level, msg, thrown);
        }
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        if (!isLoggable(level)) {
            return;
        }
        if (params == null || params.length == 0) {
            emit(level, format, null);
            return;
        }
        String text = MessageFormat.format(format, params);
        if (!(params[params.length - 1] instanceof LogFields fields) || fields.fields().isEmpty()) {
            emit(level, text, null);
            return;
        }
        List<String[]> previous = new ArrayList<>(fields.fields().size());
        for (Map.Entry<String, Object> field : fields.fields().entrySet()) {
            previous.add(new String[] {field.getKey(), MDC.get(field.getKey())});
            MDC.put(field.getKey(), ControlChars.escape(String.valueOf(field.getValue())));
        }
        try {
            emit(level, text, null);
        } finally {
            for (String[] p : previous) {
                if (p[1] == null) {
                    MDC.remove(p[0]);
                } else {
                    MDC.put(p[0], p[1]);
                }
            }
        }
    }

    private void emit(Level level, String text, Throwable thrown) {
        switch (level) {
            case ALL, TRACE -> logger.trace(text, thrown);
            case DEBUG -> logger.debug(text, thrown);
            case INFO -> logger.info(text, thrown);
            case WARNING -> logger.warn(text, thrown);
            case ERROR -> logger.error(text, thrown);
            case OFF -> {
            }
        }
    }
}
