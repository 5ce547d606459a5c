package dev.outbox.relay.transport.kafka;

import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import dev.outbox.relay.Relay;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.testing.TransportContract;
import dev.outbox.testing.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The transport contract against a real Kafka broker ({@code OUTBOX_TEST_KAFKA_BOOTSTRAP}, e.g.
 * {@code 127.0.0.1:9092} from {@code bash .ci/kafka.sh start}, where topics are never created
 * automatically), read back with Kafka's own consumer; plus what is particular to Kafka.
 */
class KafkaTransportIT extends TransportContract {
    private static final String BOOTSTRAP_ENV = "OUTBOX_TEST_KAFKA_BOOTSTRAP";

    private final List<Received> messages = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> topics = Collections.synchronizedSet(new HashSet<>());
    private Admin admin;
    private KafkaConsumer<byte[], byte[]> consumer;
    private Thread consumerThread;
    private volatile boolean consuming;

    static String bootstrap() {
        String value = System.getenv(BOOTSTRAP_ENV);
        if (value == null || value.isBlank()) {
            throw new AssertionError(BOOTSTRAP_ENV + " is not set: start a broker with `bash .ci/kafka.sh start`"
                    + " (from the project root) and set " + BOOTSTRAP_ENV + "=127.0.0.1:9092");
        }
        return value.strip();
    }

    @Override
    protected TransportFactory factory() {
        return new KafkaTransportFactory();
    }

    @Override
    protected Map<String, String> config(String aggregateType) {
        // Acknowledgements are awaited for less than fast()'s relay send timeout (20 s), so the
        // transport, not the relay's interrupt, reports an outage.
        return Map.of(KafkaSettings.BOOTSTRAP_SERVERS.env(), bootstrap(), "OUTBOX_ROUTE_DEFAULT", "${aggregatetype}",
                KafkaSettings.ACK_TIMEOUT.env(), "10s");
    }

    private Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
        }
        return admin;
    }

    @Override
    protected void createDestination(String aggregateType) throws Exception {
        createTopic(aggregateType);
    }

    private void createTopic(String topic) throws Exception {
        admin().createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(60, TimeUnit.SECONDS);
        topics.add(topic);
    }

    @Override
    protected void startConsumer(String aggregateType) {
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "contract-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        consumer = new KafkaConsumer<>(props);
        consumer.subscribe(List.of(aggregateType));
        consuming = true;
        consumerThread = new Thread(this::consume, "kafka-contract-consumer");
        consumerThread.setDaemon(true);
        consumerThread.start();
    }

    private void consume() {
        try {
            while (consuming) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    Map<String, String> headers = new HashMap<>();
                    for (Header h : r.headers()) {
                        headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                    }
                    messages.add(new Received(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                            headers, r.value()));
                }
            }
        } catch (WakeupException e) {
            // cleanUp() stops the consumer
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    @Override
    protected List<Received> received() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    @Override
    protected String attribute(Received message, String name) {
        return message.headers().get(name.equals("datacontenttype") ? "content-type" : "ce_" + name);
    }

    /** The test broker creates no topic by itself, so a topic that nobody created is missing for good. */
    @Override
    protected void makeUndeliverable(String aggregateType) {
        // nothing to do: no topic for aggregateType
    }

    @Override
    protected void stopServer() throws Exception {
        run("OUTBOX_TEST_KAFKA_STOP", "stop");
    }

    @Override
    protected void startServer() throws Exception {
        run("OUTBOX_TEST_KAFKA_START", "start");
    }

    private static void run(String overrideEnv, String action) throws IOException, InterruptedException {
        String command = System.getenv(overrideEnv);
        if (command == null || command.isBlank()) {
            Path script = TestDatabase.sqlDirectory().toAbsolutePath().getParent().resolve(".ci/kafka.sh");
            command = "bash '" + script + "' " + action;
        }
        Path log = Files.createTempFile("kafka-" + action, ".log");
        Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).redirectOutput(log.toFile())
                .start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished within 120 s", command).isTrue();
        assertThat(p.exitValue()).as("exit code of %s: %s", command, Files.readString(log)).isZero();
    }

    @Override
    protected void cleanUp(String aggregateType) throws Exception {
        consuming = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (consumerThread != null) {
            consumerThread.join(TimeUnit.SECONDS.toMillis(10));
        }
        try {
            if (!topics.isEmpty()) {
                admin().deleteTopics(Set.copyOf(topics)).all().get(60, TimeUnit.SECONDS);
            }
        } finally {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void recordLargerThanTheMaxRequestSizeGoesDeadWhileOtherKeysFlow() throws Exception {
        OutboxEvent big = OutboxEvent.builder(aggregateType, "big", "ThingCreated")
                .payload("{\"blob\": \"" + "x".repeat(20_000) + "\"}").build();
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE)) {
            c.setAutoCommit(false);
            Outbox.create().appendAll(c, List.of(big));
            c.commit();
        }
        write(aggregateType, 100, 10);
        Map<String, String> config = Map.of(KafkaSettings.MAX_REQUEST_SIZE.env(), "10240");
        Relay relay = startRelay(transport(config), fast().maxNonRetryableAttempts(2));

        await("the oversized event is dead", WAIT, () -> db.queryLong(
                "SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL") == 1);
        awaitReceived(100);
        assertThat(db.queryString("SELECT id::text FROM outbox.event WHERE dead_at IS NOT NULL"))
                .isEqualTo(big.id().toString());
        assertThat(db.queryString("SELECT last_error FROM outbox.event WHERE dead_at IS NOT NULL"))
                .startsWith("non-retryable").contains("max.request.size");
        assertThat(received()).extracting(Received::key).doesNotContain("big");
        assertThat(relay.stats().dead()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void everyCompressionCodecDeliversThePayloadUnchanged(String codec) throws Exception {
        List<OutboxMessage> batch = List.of(message(aggregateType, "a", "{\"codec\": \"" + codec + "\", \"é\": 1}"),
                message(aggregateType, "b", "[1, 2, 3]"));
        List<SendResult> results;
        try (Transport transport = transport(Map.of(KafkaSettings.COMPRESSION.env(), codec))) {
            results = transport.send(batch);
        }

        assertThat(results).allMatch(SendResult::isAcknowledged);
        awaitReceived(2);
        assertThat(received()).extracting(m -> new String(m.body(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder("{\"codec\": \"" + codec + "\", \"é\": 1}", "[1, 2, 3]");
        assertThat(received()).extracting(Received::key).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void aTransportFromTheBuilderDeliversAsTheFactorysDoes() {
        List<SendResult> results;
        try (Transport transport = KafkaTransport.builder().bootstrapServers(bootstrap())
                .routes("Routed=" + aggregateType).routeDefault("").ackTimeout(Duration.ofSeconds(10))
                .cloudEventsSource("/builder").build()) {
            results = transport.send(List.of(message("Routed", "a", "{\"n\": 1}")));
        }

        assertThat(results).allMatch(SendResult::isAcknowledged);
        awaitReceived(1);
        assertThat(received()).singleElement().satisfies(m -> {
            assertThat(m.key()).isEqualTo("a");
            assertThat(attribute(m, "source")).isEqualTo("/builder");
        });
    }

    @Test
    void eventsForAMissingTopicFailPermanentlyAndTheClusterIsAskedOnlyOnce() {
        String missing = aggregateType + "missing";
        List<OutboxMessage> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(message(missing, "k" + i, "{}"));
        }
        batch.add(message(aggregateType, "present", "{}"));
        try (Transport transport = transport(Map.of(KafkaSettings.MAX_BLOCK.env(), "1s"))) {
            List<SendResult> first = transport.send(batch);
            long started = System.nanoTime();
            List<SendResult> second = transport.send(batch.subList(0, 20));
            Duration secondTook = Duration.ofNanos(System.nanoTime() - started);

            assertThat(first.subList(0, 20)).allSatisfy(r -> {
                assertThat(r.isAcknowledged()).isFalse();
                assertThat(r.failure().retryable()).isFalse();
                assertThat(r.failure()).hasMessageContaining("topic " + missing + " does not exist");
            });
            assertThat(first.get(20).isAcknowledged()).as("the event for an existing topic").isTrue();
            assertThat(second).allMatch(r -> !r.isAcknowledged() && !r.failure().retryable());
            assertThat(secondTook).as("the missing topic is remembered, no metadata wait")
                    .isLessThan(Duration.ofMillis(500));
        }
    }

    @Test
    void anUnreachableClusterFailsTheWholeBatchRetryably() {
        Map<String, String> unreachable = Map.of(KafkaSettings.BOOTSTRAP_SERVERS.env(), "127.0.0.1:1",
                KafkaSettings.MAX_BLOCK.env(), "500ms");
        try (Transport transport = factory().create(ConfigReader.require(factory().config(), unreachable))) {
            assertThatThrownBy(() -> transport.send(List.of(message(aggregateType, "k", "{}"))))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.retryable()).isTrue())
                    .hasMessageContaining("does not answer");
        }
    }

    /**
     * A record the broker refuses as larger than the topic's max.message.bytes fails permanently,
     * naming the limit and the record's size; the other event of the batch is delivered.
     */
    @Test
    void aRecordLargerThanTheTopicsMaxMessageBytesFailsPermanentlyNamingTheLimitAndTheSize() throws Exception {
        String small = aggregateType + "small";
        admin().createTopics(List.of(new NewTopic(small, 1, (short) 1).configs(Map.of("max.message.bytes", "2048"))))
                .all().get(60, TimeUnit.SECONDS);
        topics.add(small);
        OutboxMessage big = message(small, "big", "{\"blob\": \"" + "x".repeat(10_000) + "\"}");
        try (Transport transport = transport(Map.of())) {
            List<SendResult> results = transport.send(List.of(big, message(aggregateType, "ok", "{}")));

            assertThat(results.get(0).failure()).isNotNull().satisfies(f -> {
                assertThat(f.retryable()).isFalse();
                assertThat(f.getMessage()).contains("max.message.bytes", "bytes of key, value and headers");
            });
            assertThat(results.get(1).isAcknowledged()).isTrue();
        }
    }

    /**
     * The values of the properties file (a SASL password in sasl.jaas.config) show nowhere: not
     * when the client rejects the configuration, nor when the broker cannot talk SASL with it.
     */
    @Test
    void noValueOfThePropertiesFileShowsInErrorsOrStackTraces() throws Exception {
        Path sasl = Files.createTempFile("sasl", ".properties");
        Files.writeString(sasl, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"Us3rMark\" password=\"Pa55Mark\";\n");
        Path broken = Files.createTempFile("sasl", ".properties");
        Files.writeString(broken, "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                + "sasl.jaas.config=not a login module password=Pa55Mark\n");
        StringBuilder shown = new StringBuilder();
        Throwable rejected = org.assertj.core.api.Assertions.catchThrowable(
                () -> transport(Map.of(KafkaSettings.PROPERTIES_FILE.env(), broken.toString())).close());
        assertThat(rejected).isInstanceOf(dev.outbox.core.OutboxException.class);
        shown.append(rejected.getMessage()).append(dev.outbox.relay.testing.CapturedLogs.stackTrace(rejected));
        try (Transport transport = transport(Map.of(KafkaSettings.PROPERTIES_FILE.env(), sasl.toString(),
                KafkaSettings.MAX_BLOCK.env(), "1s"))) {
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                    () -> transport.send(List.of(message(aggregateType, "k", "{}"))));
            assertThat(thrown).isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue());
            shown.append(thrown.getMessage()).append(dev.outbox.relay.testing.CapturedLogs.stackTrace(thrown));
        }
        assertThat(shown.toString()).contains("rejects its configuration").doesNotContain("Pa55Mark");
    }

    private static OutboxMessage message(String aggregateType, String key, String payload) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, key, "ThingCreated", payload,
                Map.of("traceparent", TRACEPARENT), Instant.now(), 1);
    }
}
