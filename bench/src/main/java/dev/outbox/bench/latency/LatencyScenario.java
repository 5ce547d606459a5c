package dev.outbox.bench.latency;

import dev.outbox.bench.BarChart;
import dev.outbox.bench.BenchContext;
import dev.outbox.bench.LineChart;
import dev.outbox.bench.Relays;
import dev.outbox.bench.Report;
import dev.outbox.bench.Rounds;
import dev.outbox.bench.Scenario;
import dev.outbox.bench.ScratchDatabase;
import dev.outbox.bench.Services;
import dev.outbox.bench.Summary;
import dev.outbox.bench.Table;
import dev.outbox.bench.kafka.KafkaScenario;
import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.spi.OutboxMessage;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Commit → Kafka consumer latency at a fixed rate, with the relay in its default configuration,
 * next to the same writers sending each event to Kafka themselves right after their commit (a
 * "dual write", what the outbox replaces: the least latency a committed event can have on its way
 * to a consumer). Writers commit one event per transaction with the outbox writer at the rate and
 * note the time after {@code commit()}; a consumer notes when each event arrives.
 */
public final class LatencyScenario implements Scenario {
    private static final int WRITERS = 4;
    private static final int KEYS = 100;
    /** Events of the first seconds are left out: the relay starts idle, polling at its longest interval. */
    private static final Duration SETTLE = Duration.ofSeconds(2);
    /** Topics whose consumer is assigned and positioned: the writers start after that. */
    private static final Map<String, Boolean> assigned = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "latency";
    }

    @Override
    public String description() {
        return "commit -> Kafka consumer latency at 1,000 events/s for 30 s, relay (defaults) vs sending right after"
                + " commit";
    }

    @Override
    public void run(BenchContext context) throws Exception {
        String bootstrap = context.services().kafkaBootstrap();
        Services.require("Kafka", bootstrap, "run `bash .ci/kafka.sh start`, or set OUTBOX_TEST_KAFKA_BOOTSTRAP");
        int rate = context.size(1_000, 200);
        Duration duration = context.size(Duration.ofSeconds(30), Duration.ofSeconds(6));
        RelayConfig config = Relays.config(Map.of());
        Rounds.Interleaved<Latencies> results;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
             ScratchDatabase db = context.scratchDatabase("latency")) {
            String prefix = "bench-" + context.runId() + "-latency";
            results = Rounds.interleave(context, String.format(Locale.ROOT, "latency at %,d events/s for %d s", rate,
                    duration.toSeconds()), "relay", round -> {
                        String topic = KafkaScenario.createTopic(admin, prefix + "-" + round + "-relay");
                        var delete = context.created("topic " + topic, () -> KafkaScenario.deleteTopic(admin, topic));
                        try {
                            return viaRelay(db, bootstrap, topic, config, rate, round == 0 ? SETTLE.plusSeconds(3) : duration);
                        } finally {
                            delete.run();
                        }
                    }, "send after commit", round -> {
                        String topic = KafkaScenario.createTopic(admin, prefix + "-" + round + "-direct");
                        var delete = context.created("topic " + topic, () -> KafkaScenario.deleteTopic(admin, topic));
                        try {
                            return direct(db, bootstrap, topic, rate, round == 0 ? SETTLE.plusSeconds(3) : duration);
                        } finally {
                            delete.run();
                        }
                    }, true);
        }
        report(context, rate, duration, results, config);
    }

    /** The outbox way: writers append and commit; a relay (defaults, kafka transport) delivers. */
    private static Latencies viaRelay(ScratchDatabase db, String bootstrap, String topic, RelayConfig config, int rate,
                                      Duration duration) throws Exception {
        db.execute("TRUNCATE outbox.event, outbox.event_history");
        Relay relay = Relay.builder(db.relayDataSource(), Relays.transport("kafka", Map.of(
                "OUTBOX_KAFKA_BOOTSTRAP_SERVERS", bootstrap, "OUTBOX_ROUTE_DEFAULT", topic))).config(config).build();
        try {
            relay.start();
            return measure(db, bootstrap, topic, rate, duration, event -> { });
        } finally {
            relay.close();
        }
    }

    /** The reference: the same writers, each sending its event to Kafka itself right after its commit. */
    private static Latencies direct(ScratchDatabase db, String bootstrap, String topic, int rate, Duration duration)
            throws Exception {
        db.execute("TRUNCATE outbox.event, outbox.event_history");
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0); // as the kafka transport: no waiting for company
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            producer.partitionsFor(topic); // metadata before the clock starts, as the relay's first batch has it early
            return measure(db, bootstrap, topic, rate, duration, event -> producer.send(KafkaScenario.record(topic,
                    new OutboxMessage(event.id(), 0, event.aggregateType(), event.aggregateId(), event.type(),
                            event.payloadJson(), event.headers(), event.occurredAt(), 1))));
        }
    }

    /**
     * Writers commit events at {@code rate} for {@code duration} ({@code afterCommit} runs after
     * each commit); a consumer reads the topic until every event arrived; returns each event's
     * receive time minus commit time.
     */
    private static Latencies measure(ScratchDatabase db, String bootstrap, String topic, int rate, Duration duration,
                                     Consumer<OutboxEvent> afterCommit) throws Exception {
        Map<UUID, Long> committed = new ConcurrentHashMap<>();
        Map<UUID, Long> received = new ConcurrentHashMap<>();
        AtomicBoolean reading = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(WRITERS + 1);
        try {
            Future<?> consumer = threads.submit(() -> consume(bootstrap, topic, received, reading));
            while (!assigned.getOrDefault(topic, false)) {
                if (consumer.isDone()) {
                    consumer.get(); // its failure
                }
                LockSupport.parkNanos(1_000_000);
            }
            int total = (int) (rate * duration.toSeconds());
            AtomicInteger next = new AtomicInteger();
            long start = System.nanoTime();
            long interval = 1_000_000_000L / rate;
            Outbox outbox = Outbox.create();
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                writers.add(threads.submit(() -> {
                    try (Connection c = db.connect()) {
                        c.setAutoCommit(false);
                        for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                            long due = start + i * interval;
                            long wait = due - System.nanoTime();
                            if (wait > 0) {
                                LockSupport.parkNanos(wait); // pacing to the rate, not synchronisation
                            }
                            OutboxEvent e = event(i);
                            outbox.append(c, e);
                            c.commit();
                            committed.put(e.id(), System.nanoTime());
                            afterCommit.accept(e);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : writers) {
                w.get();
            }
            double reached = total / ((System.nanoTime() - start) / 1e9);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (received.size() < total && System.nanoTime() - deadline < 0) {
                if (consumer.isDone()) {
                    consumer.get();
                }
                LockSupport.parkNanos(5_000_000);
            }
            reading.set(false);
            consumer.get(10, TimeUnit.SECONDS);
            if (received.size() < total) {
                throw new IllegalStateException("only " + received.size() + " of " + total + " events arrived within 60 s");
            }
            long settled = start + SETTLE.toNanos();
            double[] millis = committed.entrySet().stream().filter(e -> e.getValue() - settled >= 0)
                    .mapToDouble(e -> (received.get(e.getKey()) - e.getValue()) / 1e6).toArray();
            int early = 0;
            for (int i = 0; i < millis.length; i++) {
                if (millis[i] < 0) { // the relay was faster than the writer thread's return from commit()
                    millis[i] = 0;
                    early++;
                }
            }
            return new Latencies(millis, total, reached, early);
        } finally {
            reading.set(false);
            threads.shutdownNow();
            threads.awaitTermination(10, TimeUnit.SECONDS);
            assigned.remove(topic);
        }
    }

    private static Void consume(String bootstrap, String topic, Map<UUID, Long> received, AtomicBoolean reading) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = IntStream.range(0, KafkaScenario.PARTITIONS)
                    .mapToObj(i -> new TopicPartition(topic, i)).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            partitions.forEach(consumer::position); // resolved now, not at the first poll
            assigned.put(topic, true);
            while (reading.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    long now = System.nanoTime();
                    Header id = r.headers().lastHeader("ce_id");
                    received.putIfAbsent(UUID.fromString(new String(id.value(), StandardCharsets.UTF_8)), now);
                }
            }
        }
        return null;
    }

    /** The i-th event: an order placed, over {@value #KEYS} keys, with trace context. */
    static OutboxEvent event(int i) {
        String payload = String.format(Locale.ROOT, "{\"orderId\": %d, \"customer\": \"customer-%d\", \"currency\": \"EUR\","
                + " \"total\": %.2f, \"placedBy\": \"web-shop\", \"lines\": [{\"sku\": \"SKU-%d\", \"quantity\": %d,"
                + " \"price\": 19.99}, {\"sku\": \"SKU-%d\", \"quantity\": 1, \"price\": 5.25}]}", i, i % 977,
                i * 1.37 % 1000, i % 50, 1 + i % 3, i % 37 + 100);
        String hex = Integer.toHexString(i + 1);
        return OutboxEvent.builder("Order", "order-" + (i % KEYS), "OrderPlaced").payload(payload)
                .traceparent("00-" + "0".repeat(32 - hex.length()) + hex + "-" + "0".repeat(16 - hex.length()) + hex + "-01")
                .correlationId("req-" + i).build();
    }

    private void report(BenchContext context, int rate, Duration duration, Rounds.Interleaved<Latencies> r,
                        RelayConfig config) {
        Report.Section section = context.report().section("latency: commit to Kafka consumer");
        section.text(String.format(Locale.ROOT, """
                %d writer threads commit one event per transaction with the outbox writer (`Outbox.append`, then \
                `commit()`) at %,d events/s in total for %d s and note the time after each commit; a Kafka consumer \
                (assigned to the topic's partitions before the first commit) notes when each event arrives. The \
                relay runs with its default configuration (polling: at most %s after a partial batch, idle waits \
                doubling up to %s). The reference: the same writers send each event to Kafka themselves right \
                after their commit (an idempotent producer, `acks=all`, `linger.ms` 0 as the transport's), the \
                "dual write" the outbox replaces: no committed event can reach a consumer sooner. Events of the \
                first %d s are left out (the relay starts idle, at its longest poll interval). Latency = receive \
                time − commit time, both on this JVM's clock.""", WRITERS, rate, duration.toSeconds(),
                config.minPollInterval().toMillis() + " ms", config.maxPollInterval().toMillis() + " ms",
                SETTLE.toSeconds()));
        Table table = new Table("", "relay (defaults)", "send after commit", "relay / send after commit");
        double[] ps = {50, 90, 99};
        BarChart bars = new BarChart("latency percentiles (ms)", "ms, median of rounds (min-max)");
        for (double p : ps) {
            Summary a = Summary.of(r.a().stream().map(l -> l.percentile(p)).toList());
            Summary b = Summary.of(r.b().stream().map(l -> l.percentile(p)).toList());
            table.row("p" + (int) p, a.format(1) + " ms", b.format(1) + " ms", ratio(r, l -> l.percentile(p)).format(1));
            bars.bar("p" + (int) p, "relay (defaults)", a);
            bars.bar("p" + (int) p, "send after commit", b);
        }
        Summary maxA = Summary.of(r.a().stream().map(Latencies::max).toList());
        Summary maxB = Summary.of(r.b().stream().map(Latencies::max).toList());
        table.row("max", maxA.format(1) + " ms", maxB.format(1) + " ms", ratio(r, Latencies::max).format(1));
        table.row("rate reached", Summary.of(r.a().stream().map(Latencies::rate).toList()).formatRate(),
                Summary.of(r.b().stream().map(Latencies::rate).toList()).formatRate(), "");
        table.row("arrived before the writer noted its commit (counted as 0 ms)",
                r.a().stream().mapToInt(Latencies::early).sum(), r.b().stream().mapToInt(Latencies::early).sum(), "");
        section.text("Medians over " + r.a().size() + " interleaved rounds, (min–max):");
        section.table(table);
        section.plot(bars, "latency-percentiles");
        LineChart cdf = new LineChart("commit -> consumer latency, CDF (all rounds)", "latency, ms (log)",
                "fraction of events", true).yMax(1);
        addCdf(cdf, "relay (defaults)", r.a());
        addCdf(cdf, "send after commit", r.b());
        section.plot(cdf, "latency-cdf");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("events", String.format(Locale.ROOT, "%,d/s for %d s per run, one per transaction, %d keys, ~250-byte"
                + " JSON payload, headers traceparent and correlationid", rate, duration.toSeconds(), KEYS));
        settings.put("relay configuration", Relays.describe(config));
        settings.put("topic", KafkaScenario.PARTITIONS + " partitions, fresh per run");
        settings.put("broker", KafkaScenario.brokerVersion() + " at " + context.services().kafkaBootstrap());
        section.settings("Settings and versions", settings);
    }

    private static Summary ratio(Rounds.Interleaved<Latencies> r, java.util.function.ToDoubleFunction<Latencies> f) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < r.a().size(); i++) {
            ratios.add(f.applyAsDouble(r.a().get(i)) / f.applyAsDouble(r.b().get(i)));
        }
        return Summary.of(ratios);
    }

    /** The pooled distribution of all rounds, at 200 quantiles and the extremes. */
    private static void addCdf(LineChart chart, String series, List<Latencies> runs) {
        double[] all = runs.stream().flatMapToDouble(l -> java.util.Arrays.stream(l.millis())).sorted().toArray();
        int n = all.length;
        double floor = java.util.Arrays.stream(all).filter(v -> v > 0).min().orElse(0.01); // a log axis has no 0
        chart.point(series, floor, 0);
        for (int q = 1; q <= 200; q++) {
            int index = Math.min(n - 1, (int) Math.ceil(q / 200.0 * n) - 1);
            chart.point(series, Math.max(all[index], floor), (index + 1) / (double) n);
        }
    }
}
