package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.internal.LogFields;
import dev.outbox.relay.internal.RelayLogs;
import dev.outbox.relay.spi.Transport;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code relay run}: validates the configuration, starts pool, relay and HTTP endpoints, and runs
 * until SIGTERM/SIGINT (or, in-process, until {@link SidecarContext#stop()} fires); then stops
 * claiming, finishes or releases in-flight work within {@code OUTBOX_SHUTDOWN_TIMEOUT}, stops
 * HTTP, closes the pool and exits 0. Invalid configuration exits 3 before anything starts.
 */
@Command(name = "run",
        mixinStandardHelpOptions = true,
        description = "Runs the relay as a long-lived process with /health, /ready, /metrics and the console (/console).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:stopped cleanly after SIGTERM/SIGINT",
            "1:runtime failure (e.g. HTTP port in use)",
            "2:invalid command line",
            "3:invalid configuration (one `configuration error:` line per problem on stderr)"})
final class RunCommand implements Callable<Integer> {
    private static final System.Logger LOG = System.getLogger("dev.outbox.relay.sidecar");
    private static final String SLF4J_PROVIDER = "slf4j.provider";
    private static final String SLF4J_VERBOSITY = "slf4j.internal.verbosity";
    /** Beyond the relay's own shutdown bound: time for HTTP and the pool to close. */
    private static final long SHUTDOWN_GRACE_MILLIS = 10_000;

    @Option(names = "--config", paramLabel = "<file>",
            description = "Properties file with OUTBOX_* keys (default: $OUTBOX_CONFIG_FILE). Environment variables override it.")
    private Path configFile;

    private final SidecarContext context;

    RunCommand(SidecarContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        SidecarConfig config;
        try {
            config = SidecarConfig.load(context.env(), configFile, context.transports());
        } catch (ConfigurationException e) {
            e.problems().forEach(p -> context.err().println("configuration error: " + p));
            context.err().flush();
            return Main.EXIT_CONFIGURATION;
        }
        ConsoleLoggerFinder.configure(config.logFormat(), config.logLevel(), context.err(), config::redact);
        if (System.getProperty(RelayLogs.BACKEND_PROPERTY) == null) {
            // The relay's logs stay on System.Logger (this console, its text and JSON formats):
            // SLF4J leads back here below, without the fields the JSON format writes.
            System.setProperty(RelayLogs.BACKEND_PROPERTY, RelayLogs.SYSTEM);
        }
        if (System.getProperty(SLF4J_PROVIDER) == null) {
            // Before HikariCP is loaded, so its SLF4J logs join ours; an explicit choice wins.
            System.setProperty(SLF4J_PROVIDER, Slf4jSystemLoggerProvider.class.getName());
            // SLF4J would otherwise announce the explicit provider choice on stderr, outside our log format.
            System.setProperty(SLF4J_VERBOSITY, System.getProperty(SLF4J_VERBOSITY, "WARN"));
        }

        Transport transport;
        try {
            transport = config.transport().create(config.transportValues());
        } catch (OutboxException e) {
            context.err().println("configuration error: transport " + config.transport().name() + ": "
                    + config.redact(e.getMessage()));
            context.err().flush();
            return Main.EXIT_CONFIGURATION;
        }

        CountDownLatch finished = new CountDownLatch(1);
        AtomicInteger exitCode = new AtomicInteger(Main.EXIT_OK);
        long shutdownBound = config.relayConfig().shutdownTimeout().toMillis() + SHUTDOWN_GRACE_MILLIS;
        Thread hook = new Thread(() -> onSignal(finished, exitCode, shutdownBound), "outbox-relay-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return runUntilStopped(config, transport, exitCode);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it ends the JVM with our exit code
            }
        }
    }

    private int runUntilStopped(SidecarConfig config, Transport transport, AtomicInteger exitCode) {
        Sidecar sidecar;
        try {
            sidecar = Sidecar.start(config, transport);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "sidecar could not start {0}", LogFields.of(
                    "http_host", config.httpHost(), "http_port", config.httpPort(), "error", String.valueOf(e)));
            exitCode.set(Main.EXIT_FAILURE);
            return Main.EXIT_FAILURE;
        }
        try (sidecar) {
            LOG.log(Level.INFO, "sidecar started {0}", LogFields.of(
                    "instance", config.relayConfig().instanceName(), "transport", config.transport().name(),
                    "transport_from", TransportPlugins.origin(config.transport()), "http_port", sidecar.httpPort(),
                    "settings", config.describe()));
            awaitStop();
            LOG.log(Level.INFO, "sidecar stopping {0}", LogFields.of("instance", config.relayConfig().instanceName()));
        }
        LOG.log(Level.INFO, "sidecar stopped {0}", LogFields.of("instance", config.relayConfig().instanceName()));
        return Main.EXIT_OK;
    }

    private void awaitStop() {
        boolean interrupted = false;
        while (true) {
            try {
                context.stop().await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // only the stop signal ends the sidecar; shut down properly first
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Runs on SIGTERM/SIGINT: lets {@link #call} shut down, then ends the JVM with its exit code.
     * Halting here is deliberate: after a signal the JVM would otherwise exit with 128+signal
     * (143), while a clean stop must report 0 to the orchestrator.
     */
    private void onSignal(CountDownLatch finished, AtomicInteger exitCode, long boundMillis) {
        context.stop().countDown();
        try {
            boolean done = finished.await(boundMillis, TimeUnit.MILLISECONDS);
            context.err().flush();
            Runtime.getRuntime().halt(done ? exitCode.get() : Main.EXIT_FAILURE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
