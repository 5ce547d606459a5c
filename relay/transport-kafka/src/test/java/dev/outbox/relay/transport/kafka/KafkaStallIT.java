package dev.outbox.relay.transport.kafka;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.testing.Outages.assertNoneCharged;
import static dev.outbox.relay.testing.Outages.sendOrOutage;
import static dev.outbox.relay.testing.Outages.unacknowledged;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.testing.Events;
import dev.outbox.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A broker that stops answering (SIGSTOP) is an outage, never a failure charged to the events:
 * against a private broker of this class ({@link PrivateKafka}), stopped before a batch (while the
 * producer waits for topic metadata) and in the middle of one (after the first acknowledgement),
 * every event is either acknowledged or reported as an outage; after SIGCONT all arrive. Also:
 * closing the transport during a stall is bounded.
 */
class KafkaStallIT {
    private static PrivateKafka kafka;
    private static Admin admin;
    private String topic;

    @BeforeAll
    static void startBroker() throws Exception {
        kafka = PrivateKafka.start();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap()));
    }

    @AfterAll
    static void stopBroker() throws Exception {
        try {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @BeforeEach
    void createTopic() throws Exception {
        topic = "stall" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }

    @Test
    void aBrokerStalledBeforeABatchIsAnOutageAndNoEventIsCharged() throws Exception {
        List<OutboxMessage> batch = batch(200, 10);
        try (Transport transport = transport(Map.of())) {
            kafka.stall();
            List<SendResult> stalled;
            try {
                stalled = sendOrOutage(transport, batch);
            } finally {
                kafka.resume();
            }
            assertThat(stalled).as("no event is acknowledged by a stopped broker").noneMatch(SendResult::isAcknowledged);
            assertNoneCharged(stalled);

            deliverAfterTheStall(transport, batch);
        }
        assertDelivered(batch);
    }

    /**
     * The case of the issue: the producer's metadata wait ({@code OUTBOX_KAFKA_MAX_BLOCK}) runs out
     * while the broker is stopped, and the broker answers again while the transport asks the
     * cluster whether the topic exists: it does, yet the producer had no metadata.
     */
    @Test
    void aBrokerThatAnswersAgainAfterTheMetadataWaitChargesNoEvent() throws Exception {
        List<OutboxMessage> batch = batch(200, 10);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (Transport transport = transport(Map.of(KafkaSettings.MAX_BLOCK.env(), "2s"))) {
            kafka.stall();
            // The fault's timeline, not a synchronisation: the stall ends after the 2 s metadata
            // wait and within the 2 s the cluster is then given to say whether the topic exists.
            var resumed = scheduler.schedule(() -> {
                kafka.resume();
                return null;
            }, 3, TimeUnit.SECONDS);
            List<SendResult> results;
            try {
                results = sendOrOutage(transport, batch);
            } finally {
                resumed.get(30, TimeUnit.SECONDS);
            }
            assertNoneCharged(results);

            deliverAfterTheStall(transport, unacknowledged(batch, results));
        } finally {
            scheduler.shutdownNow();
            kafka.resume();
        }
        assertDelivered(batch);
    }

    @Test
    void aBrokerStalledMidBatchChargesNoUnacknowledgedEvent() throws Exception {
        // Small produce requests, so that the batch takes many; the broker is stopped as soon as
        // the first of them is acknowledged.
        Path properties = Files.createTempFile("stall", ".properties");
        Files.writeString(properties, "interceptor.classes=" + StallOnFirstAck.class.getName() + "\n"
                + "batch.size=2048\nmax.in.flight.requests.per.connection=1\n");
        List<OutboxMessage> batch = batch(1_000, 1_000);
        StallOnFirstAck.arm(kafka);
        List<SendResult> results;
        try (Transport transport = transport(Map.of(KafkaSettings.PROPERTIES_FILE.env(), properties.toString()))) {
            try {
                results = sendOrOutage(transport, batch);
            } finally {
                StallOnFirstAck.disarm();
                kafka.resume();
            }
            assertNoneCharged(results);
            assertThat(results).as("the stall began mid-batch").anyMatch(SendResult::isAcknowledged)
                    .anyMatch(r -> !r.isAcknowledged());

            deliverAfterTheStall(transport, unacknowledged(batch, results));
        }
        assertDelivered(batch);
    }

    @Test
    void closingDuringAStallReturnsWithinTheCloseBound() throws Exception {
        Path properties = Files.createTempFile("stall", ".properties");
        Files.writeString(properties, "interceptor.classes=" + StallOnFirstAck.class.getName() + "\n");
        Transport transport = transport(Map.of(KafkaSettings.ACK_TIMEOUT.env(), "20s",
                KafkaSettings.PROPERTIES_FILE.env(), properties.toString()));
        CompletableFuture<List<SendResult>> sending;
        try {
            assertThat(transport.send(batch(10, 10))).allMatch(SendResult::isAcknowledged); // metadata known
            kafka.stall();
            List<OutboxMessage> pending = batch(100, 100);
            int before = StallOnFirstAck.SENT.get();
            sending = CompletableFuture.supplyAsync(() -> sendOrOutage(transport, pending));
            await("the batch is handed to the producer", Duration.ofSeconds(10),
                    () -> StallOnFirstAck.SENT.get() - before == pending.size());
        } catch (Throwable t) {
            kafka.resume();
            transport.close();
            throw t;
        }
        long started = System.nanoTime();
        try {
            transport.close();
        } finally {
            kafka.resume();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).as("close() during a stall").isLessThan(KafkaTransport.CLOSE_TIMEOUT.plusSeconds(1));
        assertNoneCharged(sending.get(30, TimeUnit.SECONDS));
    }

    /**
     * The scenario end to end: a relay allowed one attempt per event drains 2,000 events
     * over 1,000 keys while the broker is stopped (SIGSTOP at the first acknowledgement, SIGCONT
     * 6 s later). No event goes dead, none is charged, and every one arrives. Needs the relay to
     * treat per-event outages as not charged (RelayLoop); with a loop that charges them, the
     * unacknowledged events of the stalled batch go dead.
     */
    @Test
    void aRelayAllowedOneAttemptLosesNoEventToAStallMidDrain() throws Exception {
        Path properties = Files.createTempFile("stall", ".properties");
        Files.writeString(properties, "interceptor.classes=" + StallOnFirstAck.class.getName() + "\n"
                + "batch.size=2048\nmax.in.flight.requests.per.connection=1\n");
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (TestDatabase db = TestDatabase.create()) {
            db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                    + " SELECT '" + topic + "', 'k' || (g % 1000), 'ThingHappened', jsonb_build_object('n', g)"
                    + " FROM generate_series(1, 2000) g");
            StallOnFirstAck.arm(kafka);
            Relay relay = Relay.builder(Events.relayRoleDataSource(db), transport(Map.of(
                            KafkaSettings.PROPERTIES_FILE.env(), properties.toString(), "OUTBOX_ROUTE_DEFAULT", topic)))
                    .config(RelayConfig.builder().batchSize(500).maxAttempts(1).maxNonRetryableAttempts(1)
                            .minPollInterval(Duration.ofMillis(5)).maxPollInterval(Duration.ofMillis(50))
                            .backoffBase(Duration.ofMillis(50)).backoffCap(Duration.ofMillis(500)).build())
                    .build().start();
            try {
                await("the broker was stopped mid-drain", Duration.ofSeconds(60), () -> StallOnFirstAck.FIRED.get());
                // The fault's timeline: the broker stays stopped for 6 s.
                scheduler.schedule(() -> {
                    kafka.resume();
                    return null;
                }, 6, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS);
                await("every event published, or one dead", Duration.ofSeconds(120), () -> db.queryLong(
                        "SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL") > 0 || db.queryLong(
                        "SELECT count(*) FROM outbox.event WHERE published_at IS NULL") == 0);
            } finally {
                StallOnFirstAck.disarm();
                kafka.resume();
                relay.close();
            }
            assertThat(db.queryString("SELECT coalesce(min(last_error), 'none') FROM outbox.event WHERE dead_at IS NOT NULL"))
                    .as("the last error of a dead event (an outage must not be charged)").isEqualTo("none");
            List<OutboxMessage> written = new ArrayList<>();
            try (java.sql.Connection c = db.connect(); java.sql.Statement st = c.createStatement();
                 java.sql.ResultSet rows = st.executeQuery(
                         "SELECT id FROM outbox.event UNION ALL SELECT id FROM outbox.event_history")) {
                while (rows.next()) {
                    written.add(new OutboxMessage(rows.getObject(1, UUID.class), 1, topic, "k", "ThingHappened", "{}",
                            Map.of(), Instant.now(), 1));
                }
            }
            assertDelivered(written);
        } finally {
            scheduler.shutdownNow();
        }
    }

    /** Counts records handed to the producer; stops the private broker at the first acknowledgement it sees while armed. */
    public static final class StallOnFirstAck implements ProducerInterceptor<byte[], byte[]> {
        static final java.util.concurrent.atomic.AtomicInteger SENT = new java.util.concurrent.atomic.AtomicInteger();
        private static volatile PrivateKafka target;
        static final AtomicBoolean FIRED = new AtomicBoolean();

        static void arm(PrivateKafka kafka) {
            FIRED.set(false);
            target = kafka;
        }

        static void disarm() {
            target = null;
        }

        @Override
        public ProducerRecord<byte[], byte[]> onSend(ProducerRecord<byte[], byte[]> record) {
            SENT.incrementAndGet();
            return record;
        }

        @Override
        public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
            PrivateKafka k = target;
            if (k != null && exception == null && FIRED.compareAndSet(false, true)) {
                try {
                    k.stall();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        @Override
        public void close() {
        }

        @Override
        public void configure(Map<String, ?> configs) {
        }
    }

    /**
     * Sends {@code events} again until all are acknowledged: right after SIGCONT the producer may
     * still report outages (its requests expired during the stall) but never charge an event.
     */
    private static void deliverAfterTheStall(Transport transport, List<OutboxMessage> events) {
        if (events.isEmpty()) {
            return;
        }
        await("the events are acknowledged after the stall", Duration.ofSeconds(60), () -> {
            List<SendResult> results = sendOrOutage(transport, events);
            assertNoneCharged(results);
            return results.stream().allMatch(SendResult::isAcknowledged);
        });
    }

    private Transport transport(Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of(KafkaSettings.BOOTSTRAP_SERVERS.env(), kafka.bootstrap(),
                KafkaSettings.MAX_BLOCK.env(), "1s", KafkaSettings.ACK_TIMEOUT.env(), "4s"));
        config.putAll(extra);
        KafkaTransportFactory factory = new KafkaTransportFactory();
        return factory.create(ConfigReader.require(factory.config(), config));
    }

    private List<OutboxMessage> batch(int count, int payloadBytes) {
        List<OutboxMessage> batch = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            batch.add(new OutboxMessage(UUID.randomUUID(), i + 1, topic, "key-" + i, "ThingHappened",
                    "{\"n\": " + i + ", \"pad\": \"" + "x".repeat(payloadBytes) + "\"}", Map.of(), Instant.now(), 1));
        }
        return batch;
    }

    /** Reads the topic with Kafka's own consumer until every event of {@code batch} was seen. */
    private void assertDelivered(List<OutboxMessage> batch) {
        Set<String> expected = new HashSet<>();
        batch.forEach(m -> expected.add(m.id().toString()));
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                    new TopicPartition(topic, 2));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await("every event of the batch on " + topic, Duration.ofSeconds(60), () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(new String(r.headers().lastHeader("ce_id").value(), StandardCharsets.UTF_8));
                }
                return seen.containsAll(expected);
            });
        }
    }
}
