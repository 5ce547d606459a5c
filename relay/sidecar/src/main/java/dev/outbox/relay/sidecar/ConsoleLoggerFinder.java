package dev.outbox.relay.sidecar;

import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The sidecar's {@link System.LoggerFinder}: every {@link System.Logger} (the relay's, the JDK's,
 * and HikariCP's through {@link Slf4jSystemLoggerProvider}) writes one line per record to stderr,
 * as text or as JSON (see {@link ConsoleLogger}). The JDK finds it through
 * {@code META-INF/services/java.lang.System$LoggerFinder} when the relay jar is on the class path.
 *
 * <p>{@code relay run} calls {@link #configure} once at start, from {@code OUTBOX_LOG_FORMAT} and
 * {@code OUTBOX_LOG_LEVEL}; until then records at INFO and above are written as text. Loggers read
 * the settings on every call, so loggers created before {@link #configure} follow it too.
 * Logging never throws: a record that cannot be formatted is written with its raw message.
 */
public final class ConsoleLoggerFinder extends System.LoggerFinder {
    private static volatile Settings settings = new Settings(SidecarConfig.LogFormat.TEXT, Level.INFO, null,
            UnaryOperator.identity());

    /** Called by the JDK's service loader. */
    public ConsoleLoggerFinder() {
        super();
    }

    /**
     * Sets the format and threshold for every logger of this finder.
     *
     * @param out where lines go; {@code null} for {@link System#err} as it is at each write
     */
    public static void configure(SidecarConfig.LogFormat format, Level threshold, PrintStream out) {
        configure(format, threshold, out, UnaryOperator.identity());
    }

    /**
     * As {@link #configure(SidecarConfig.LogFormat, Level, PrintStream)}, and every line passes
     * through {@code redactor} before it is written: the sidecar masks its configured secrets
     * there, so that a client library quoting one back (in a message, a URL, a stack trace) does
     * not print it.
     */
    public static void configure(SidecarConfig.LogFormat format, Level threshold, PrintStream out,
                                 UnaryOperator<String> redactor) {
        settings = new Settings(Objects.requireNonNull(format, "format"), Objects.requireNonNull(threshold, "threshold"),
                out, Objects.requireNonNull(redactor, "redactor"));
    }

    static Settings settings() {
        return settings;
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new ConsoleLogger(name);
    }

    /** The finder's current configuration. */
    record Settings(SidecarConfig.LogFormat format, Level threshold, PrintStream out, UnaryOperator<String> redactor) {
        /**
         * Broker clients whose INFO records are their whole configuration and every metadata
         * change: below DEBUG they show only warnings and errors, so the sidecar's INFO log stays
         * about the relay.
         */
        private static final List<String> CHATTY = List.of("org.apache.kafka.");

        PrintStream stream() {
            return out != null ? out : System.err;
        }

        /** The threshold of the logger {@code name}. */
        Level thresholdFor(String name) {
            return threshold == Level.INFO && CHATTY.stream().anyMatch(name::startsWith) ? Level.WARNING : threshold;
        }
    }
}
