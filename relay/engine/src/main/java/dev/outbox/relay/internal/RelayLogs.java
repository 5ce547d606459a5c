package dev.outbox.relay.internal;

import java.util.ResourceBundle;

/**
 * The loggers of the relay's modules: SLF4J's when the application has SLF4J with a backend,
 * else {@link System.Logger} (the JDK's default, {@code java.util.logging}, or the sidecar's
 * console). Callers log as with any {@code System.Logger}, {@link LogFields} as the last
 * parameter; through SLF4J those fields are also in the MDC for the call (see
 * {@link Slf4jLogger}).
 *
 * <p>The choice is made once per JVM, at the first log call (not when a logger is created, so
 * that a launcher can still choose before anything logs), from the system property
 * {@value #BACKEND_PROPERTY}:
 * <ul>
 *   <li>unset or {@code auto}: SLF4J when {@code org.slf4j} is on the class path and bound to a
 *       provider that logs (not the no-operation fallback, not {@code slf4j-nop}), else
 *       {@code System.Logger};</li>
 *   <li>{@code system}: always {@code System.Logger}. The sidecar sets it: it routes SLF4J to its
 *       own {@code System.Logger} backend, and must not get the relay's logs back through SLF4J.</li>
 * </ul>
 * SLF4J is an optional dependency: {@link Slf4jLogger}, the one class that uses it, is loaded
 * only after {@code org.slf4j.LoggerFactory} was found.
 */
public final class RelayLogs {
    /** System property choosing the backend: {@code auto} (default) or {@code system}. */
    public static final String BACKEND_PROPERTY = "outbox.relay.logging";
    /** The value of {@link #BACKEND_PROPERTY} that keeps the relay on {@link System.Logger}. */
    public static final String SYSTEM = "system";

    private RelayLogs() {
    }

    /** The logger of that name; it picks its backend when it first logs. */
    public static System.Logger logger(String name) {
        return new Routed(name);
    }

    /** Whether the relay logs through SLF4J in this JVM (decides the choice if not made yet). */
    public static boolean slf4j() {
        return Backend.SLF4J;
    }

    /** Initialised at the first log call, once per JVM. */
    private static final class Backend {
        static final boolean SLF4J = choose();

        private static boolean choose() {
            if (SYSTEM.equals(System.getProperty(BACKEND_PROPERTY))) {
                return false;
            }
            try {
                Class.forName("org.slf4j.LoggerFactory", false, RelayLogs.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError absent) {
                return false;
            }
            try {
                return Slf4jLogger.hasBackend();
            } catch (RuntimeException | LinkageError unusable) { // an SLF4J 1.x API, a broken binding
                return false;
            }
        }
    }

    /** Delegates to the backend's logger, looked up at the first call. */
    private static final class Routed implements System.Logger {
        private final String name;
        private volatile System.Logger delegate;

        Routed(String name) {
            this.name = name;
        }

        private System.Logger delegate() {
            System.Logger d = delegate;
            if (d == null) {
                d = Backend.SLF4J ? Slf4jLogger.of(name) : System.getLogger(name);
                delegate = d;
            }
            return d;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            return delegate().isLoggable(level);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            delegate().log(level, bundle, msg, thrown);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            delegate().log(level, bundle, format, params);
        }
    }
}
