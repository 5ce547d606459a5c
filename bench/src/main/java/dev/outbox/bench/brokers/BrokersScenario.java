package dev.outbox.bench.brokers;

import dev.outbox.bench.BenchContext;
import dev.outbox.bench.Comparison;
import dev.outbox.bench.EventSpec;
import dev.outbox.bench.Relays;
import dev.outbox.bench.Report;
import dev.outbox.bench.Scenario;
import dev.outbox.bench.ScratchDatabase;
import dev.outbox.bench.Services;
import dev.outbox.bench.Target;
import dev.outbox.bench.Targets;
import dev.outbox.relay.RelayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The relay through the {@code rabbitmq}, {@code nats} and {@code redis} transports against each
 * broker's own client sending the same messages with the same guarantees (publisher confirms for
 * persistent, mandatory messages; JetStream PubAcks; XADD replies), 10 keys.
 */
public final class BrokersScenario implements Scenario {
    static final int KEYS = 10;
    private static final Duration CAP = Duration.ofMinutes(5);

    @Override
    public String name() {
        return "brokers";
    }

    @Override
    public String description() {
        return "relay through the rabbitmq, nats and redis transports vs each broker's own client, 10 keys";
    }

    @Override
    public void run(BenchContext context) throws Exception {
        Services s = context.services();
        Services.require("RabbitMQ", s.rabbitmqUri(), "start it, or set OUTBOX_TEST_RABBITMQ_URI");
        Services.require("NATS", s.natsUrl(), "start nats-server -js, or set OUTBOX_TEST_NATS_URL");
        Services.require("Redis", s.redisUrl(), "start redis-server, or set OUTBOX_TEST_REDIS_URL");
        int count = context.size(50_000, 2_000);
        List<Target> targets = new ArrayList<>();
        try {
            targets.add(new RabbitMqTarget(s.rabbitmqUri(), new EventSpec(count, KEYS)));
            targets.add(new NatsTarget(s.natsUrl(), new EventSpec(count, KEYS)));
            targets.add(new RedisTarget(s.redisUrl(), new EventSpec(count, KEYS)));
            RelayConfig config = Relays.config(Map.of());
            List<Comparison> results = new ArrayList<>();
            try (ScratchDatabase db = context.scratchDatabase("brokers")) {
                for (Target t : targets) {
                    results.add(Targets.compare(context, db, config, t, t.transport(), CAP));
                }
            }
            Report.Section section = context.report().section("brokers: the relay vs each broker's own client");
            section.text(String.format(Locale.ROOT, """
                    The relay (in-process, default configuration, the transport from its factory and the sidecar's \
                    keys) drains a committed backlog of %,d events over %d keys; the broker's own client sends the \
                    same messages with the same guarantees. Fresh exchange and queue, stream or stream key per run, \
                    counted afterwards. The relay hands a transport at most one event per key per call and awaits \
                    it, so with %d keys each call carries at most %d events: the hand-written clients stream \
                    everything at once (one channel, one connection or one pipeline keeps each key's order \
                    there).""", count, KEYS, KEYS, KEYS));
            Targets.report(section, "brokers: relay / the broker's own client", "brokers-ratio", targets, results);
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("events", String.format(Locale.ROOT, "%,d per run, aggregate type Order, %d keys round-robin,"
                    + " ~250-byte JSON payload, headers traceparent and correlationid", count, KEYS));
            settings.put("relay configuration", Relays.describe(config));
            targets.forEach(t -> settings.putAll(t.settings()));
            section.settings("Settings and versions", settings);
        } finally {
            targets.forEach(Target::close);
        }
    }
}
