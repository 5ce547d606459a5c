package dev.outbox.relay;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.internal.LogFields;
import dev.outbox.relay.internal.RelayLogs;
import dev.outbox.relay.internal.Metrics;
import dev.outbox.relay.internal.RelayLoop;
import dev.outbox.relay.config.Durations;
import dev.outbox.relay.spi.SendTracing;
import dev.outbox.relay.spi.Transport;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import javax.sql.DataSource;

/**
 * Forwards committed outbox events to a {@link Transport}, at least once, in write order per
 * ordering key. Embed it in an application or run it as the sidecar; run as many instances as
 * you like against one database: they share the work by slots and take over each other's slots
 * when one stops.
 *
 * <pre>{@code
 * try (Relay relay = Relay.builder(dataSource, transport).config(RelayConfig.defaults()).build()) {
 *     relay.start();
 *     …
 * } // close(): stops claiming, finishes or releases in-flight work within shutdownTimeout
 * }</pre>
 *
 * <p>The relay holds one connection of the data source for as long as it runs (its slots are
 * tied to that session); the database role needs only the grants of {@code outbox_relay}.
 * Database and transport failures are logged and retried; they never stop the relay.
 */
public final class Relay implements AutoCloseable {
    private static final System.Logger LOG = RelayLogs.logger("dev.outbox.relay");
    private final RelayConfig config;
    private final Transport transport;
    private final Metrics metrics = new Metrics();
    private final ExecutorService transportExecutor;
    private final ExecutorService dispatcher;
    private final RelayLoop loop;
    private final Thread thread;
    private boolean started;
    private boolean closed;

    private Relay(Builder b) {
        this.config = b.config;
        this.transport = b.transport;
        this.transportExecutor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "outbox-relay-transport-" + config.instanceName());
            t.setDaemon(true);
            return t;
        });
        this.dispatcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "outbox-relay-dispatch-" + config.instanceName());
            t.setDaemon(true);
            return t;
        });
        this.loop = new RelayLoop(b.dataSource, transport, config, b.clock, b.random, metrics, transportExecutor,
                dispatcher, b.tracing);
        this.thread = new Thread(loop, "outbox-relay-" + config.instanceName());
    }

    /**
     * @param dataSource connections to the outbox database (a role with the {@code outbox_relay} grants)
     * @param transport where events go; the relay closes it when it closes
     */
    public static Builder builder(DataSource dataSource, Transport transport) {
        return new Builder(dataSource, transport);
    }

    public RelayConfig config() {
        return config;
    }

    /** Starts delivering in a background thread. */
    public synchronized Relay start() {
        if (closed || started) {
            throw new OutboxException("Relay.start() may be called once, before close()");
        }
        started = true;
        thread.start();
        return this;
    }

    public RelayStats stats() {
        List<Long> buckets = new ArrayList<>(Metrics.LATENCY_BUCKETS.length + 1);
        for (int i = 0; i <= Metrics.LATENCY_BUCKETS.length; i++) {
            buckets.add(metrics.latencyBucket(i));
        }
        return new RelayStats(loop.state(), loop.connected(), loop.ownedSlots(), metrics.published.sum(), metrics.failed.sum(),
                metrics.dead.sum(), metrics.transportErrors.sum(), metrics.batches.sum(), metrics.latencySumSeconds(),
                buckets, metrics.purged.sum());
    }

    /**
     * Stops claiming, lets the batch in flight finish (its events are marked), releases the slots
     * and closes the transport, all within {@link RelayConfig#shutdownTimeout()}: a batch still
     * in flight near the end is abandoned unmarked (its events are sent again by whoever takes
     * the slots), and a transport whose close has not returned by then is left to finish on a
     * daemon thread. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        // On its own daemon thread, so that nothing a transport or the database does can hold
        // the caller (or the JVM, on SIGTERM) past the bound.
        Thread closing = new Thread(() -> shutDown(deadline), "outbox-relay-close-" + config.instanceName());
        closing.setDaemon(true);
        closing.start();
        if (!join(closing, deadline)) {
            LOG.log(System.Logger.Level.WARNING, "relay close abandoned at the shutdown timeout {0}", LogFields.of(
                    "instance", config.instanceName(), "shutdown_timeout", Durations.format(config.shutdownTimeout()),
                    "waiting_for", thread.isAlive() ? "the batch in flight" : "the transport's close"));
        }
    }

    private void shutDown(long deadline) {
        loop.stop();
        if (started) {
            // The batch in flight may use the bound but for a last share, kept for rolling back
            // and releasing the slots once the loop is interrupted.
            long share = Math.min(TimeUnit.SECONDS.toNanos(1), config.shutdownTimeout().toNanos() / 4);
            if (!join(thread, deadline - share)) {
                thread.interrupt(); // abandons the transport call; nothing is marked
                join(thread, deadline);
            }
        }
        dispatcher.shutdownNow();
        transportExecutor.shutdownNow();
        transport.close();
    }

    /** Waits for {@code t} until the {@link System#nanoTime()} deadline; returns whether it ended. */
    private static boolean join(Thread t, long deadline) {
        try {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                t.join(TimeUnit.NANOSECONDS.toMillis(left) + 1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !t.isAlive();
    }

    /** Configures a {@link Relay}. */
    public static final class Builder {
        private final DataSource dataSource;
        private final Transport transport;
        private RelayConfig config = RelayConfig.defaults();
        private Clock clock = Clock.systemUTC();
        private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
        private SendTracing tracing;

        private Builder(DataSource dataSource, Transport transport) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
            this.transport = Objects.requireNonNull(transport, "transport");
        }

        public Builder config(RelayConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** The clock for retry times and publication timestamps (tests pass a controllable one). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Source of jitter, values in [0, 1). */
        public Builder random(DoubleSupplier random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * Traces every transport call, e.g. {@code OutboxRelayTracing.create(openTelemetry)} of
         * {@code outbox-relay-opentelemetry}: a PRODUCER span per event, its context on the message.
         * Without it (the default) the relay does no tracing work at all. Tracing never changes
         * what is sent, marked or retried (see {@link SendTracing}).
         */
        public Builder tracing(SendTracing tracing) {
            this.tracing = Objects.requireNonNull(tracing, "tracing");
            return this;
        }

        public Relay build() {
            return new Relay(this);
        }
    }
}
