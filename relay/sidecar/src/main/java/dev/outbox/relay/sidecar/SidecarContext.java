package dev.outbox.relay.sidecar;

import dev.outbox.relay.spi.TransportFactory;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * What a command gets from its surroundings instead of reaching for globals: the environment,
 * the output streams, the installed transports, and the signal that stops {@code run}.
 * {@link Main#main} builds it from the process; tests pass their own.
 *
 * @param env environment variables
 * @param out standard output (command results)
 * @param err standard error (diagnostics and, for {@code run}, logs)
 * @param transports installed transport factories
 * @param stop counted down to stop {@code run} (by the JVM shutdown hook on SIGTERM/SIGINT, or by a test)
 */
record SidecarContext(Map<String, String> env, PrintStream out, PrintStream err, List<TransportFactory> transports,
                      CountDownLatch stop) {

    SidecarContext {
        env = Map.copyOf(env);
        transports = List.copyOf(transports);
    }
}
