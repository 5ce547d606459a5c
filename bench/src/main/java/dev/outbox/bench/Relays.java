package dev.outbox.bench;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.RelayStats;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * The relay as the sidecar runs it: the transport from its {@link TransportFactory} and the
 * sidecar's {@code OUTBOX_*} keys, the relay's configuration from {@link RelayConfig#MODEL} with the
 * same keys (defaults for everything not named), and a timed drain of a pre-filled backlog.
 */
public final class Relays {
    /** The only relay setting the harness always names: how the instance shows in {@code pg_stat_activity}. */
    public static final Map<String, String> BASE = Map.of("OUTBOX_INSTANCE_NAME", "bench");

    private Relays() {
    }

    /**
     * The transport named {@code name} exactly as the sidecar creates it for {@code OUTBOX_TRANSPORT=name}:
     * found with {@link ServiceLoader}, its keys read and validated by its own model.
     *
     * @param env the transport's {@code OUTBOX_*} keys, as they would be in the sidecar's environment
     */
    public static Transport transport(String name, Map<String, String> env) {
        TransportFactory factory = factory(name);
        return factory.create(ConfigReader.require(factory.config(), env));
    }

    public static TransportFactory factory(String name) {
        List<String> known = new ArrayList<>();
        for (TransportFactory f : ServiceLoader.load(TransportFactory.class)) {
            if (f.name().equals(name)) {
                return f;
            }
            known.add(f.name());
        }
        throw new IllegalStateException("no transport named " + name + " on the class path (known: " + known + ")");
    }

    /** The relay's configuration from {@code OUTBOX_*} keys: {@link #BASE} and {@code more}, defaults for the rest. */
    public static RelayConfig config(Map<String, String> more) {
        Map<String, String> env = new LinkedHashMap<>(BASE);
        env.putAll(more);
        return RelayConfig.of(ConfigReader.require(RelayConfig.MODEL, env));
    }

    /** The configuration for the report: every key with its value, those set by the harness first. */
    public static String describe(RelayConfig config) {
        RelayConfig defaults = RelayConfig.of(ConfigReader.require(RelayConfig.MODEL, Map.of()));
        List<String> named = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        Map<String, String> d = defaults.values().shown();
        config.values().shown().forEach((k, v) -> {
            if (k.equals("OUTBOX_INSTANCE_NAME") || !v.equals(d.get(k))) {
                named.add("`" + k + "=" + v + "`");
            } else {
                rest.add(k + "=" + v);
            }
        });
        return String.join(" ", named) + "; defaults: " + String.join(", ", rest);
    }

    /**
     * Starts a relay on a committed backlog and times it until it has published {@code events}
     * (read from its own counters, so measuring costs the database nothing), or until {@code cap}.
     * The transport is closed with the relay.
     *
     * @throws IllegalStateException if an event failed or died: such a run measures nothing useful
     */
    public static Measurement drain(DataSource dataSource, Transport transport, RelayConfig config, long events,
                                    Duration cap) {
        Relay relay = Relay.builder(dataSource, transport).config(config).build();
        try {
            long start = System.nanoTime();
            long deadline = start + cap.toNanos();
            relay.start();
            RelayStats stats = relay.stats();
            while (stats.published() < events && System.nanoTime() - deadline < 0) {
                if (stats.failed() > 0 || stats.dead() > 0) {
                    throw new IllegalStateException("the relay failed " + stats.failed() + " deliveries (" + stats.dead()
                            + " dead; state " + stats.state() + "): the run is void");
                }
                LockSupport.parkNanos(1_000_000); // 1 ms: fine enough, and leaves the CPU to the relay
                stats = relay.stats();
            }
            long end = System.nanoTime();
            Measurement m = Measurement.of(stats.published(), start, end);
            if (stats.published() < events) {
                m = m.withNote(String.format(Locale.ROOT, "capped at %d s: %,d of %,d published", cap.toSeconds(),
                        stats.published(), events));
            }
            if (stats.transportErrors() > 0) {
                m = m.withNote(stats.transportErrors() + " transport pauses (outages)");
            }
            return m;
        } finally {
            relay.close();
        }
    }

    /** Acknowledges everything at once: measures the relay and the database, not a broker. */
    public static final class NoopTransport implements Transport {
        @Override
        public List<SendResult> send(List<OutboxMessage> batch) {
            List<SendResult> results = new ArrayList<>(batch.size());
            for (OutboxMessage m : batch) {
                results.add(SendResult.acknowledged(m.id()));
            }
            return results;
        }
    }
}
