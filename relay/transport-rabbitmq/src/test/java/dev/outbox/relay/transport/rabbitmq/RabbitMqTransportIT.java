package dev.outbox.relay.transport.rabbitmq;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.testing.Outages.assertNoneCharged;
import static dev.outbox.relay.testing.Outages.assertStallsBeforeAndDuringABatchAreOutages;
import static dev.outbox.relay.testing.Outages.sendOrOutage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.testing.CapturedLogs;
import dev.outbox.testing.StallingProxy;
import dev.outbox.relay.testing.TransportContract;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The transport contract and RabbitMQ specifics against a real broker: {@code OUTBOX_TEST_RABBITMQ_URI}
 * (e.g. {@code amqp://guest:guest@127.0.0.1:5672}). The destination of an aggregate type is a
 * durable topic exchange of that name, with a durable queue of the same name bound with {@code #};
 * the independent consumer is a plain {@code basicConsume} on that queue.
 *
 * <p>The broker is stopped and started with {@code rabbitmqctl stop_app} / {@code start_app}
 * (override with {@code OUTBOX_TEST_RABBITMQ_STOP} / {@code OUTBOX_TEST_RABBITMQ_START}); it is
 * started again after the class in any case. Every exchange and queue a test creates is deleted.
 */
class RabbitMqTransportIT extends TransportContract {
    private static final String URI_ENV = "OUTBOX_TEST_RABBITMQ_URI";
    private static final Duration SERVER_WAIT = Duration.ofSeconds(60);

    private final List<Received> received = new ArrayList<>();
    private final Set<String> exchanges = new LinkedHashSet<>();
    private final Set<String> queues = new LinkedHashSet<>();
    private Connection consumerConnection;
    private String consumedQueue;

    private static String uri() {
        String uri = System.getenv(URI_ENV);
        if (uri == null || uri.isBlank()) {
            throw new IllegalStateException(URI_ENV + " is not set: point it at a RabbitMQ broker, e.g. "
                    + URI_ENV + "=amqp://guest:guest@127.0.0.1:5672 (start one with: rabbitmq-server -detached)");
        }
        return uri;
    }

    private static Connection connect() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri());
        f.setAutomaticRecoveryEnabled(false);
        return f.newConnection("outbox-test");
    }

    private interface ChannelWork {
        void run(Channel channel) throws IOException;
    }

    /** Runs {@code work} on a channel of its own (a failed declaration closes only that one). */
    private static void withChannel(ChannelWork work) throws Exception {
        try (Connection c = connect(); Channel channel = c.createChannel()) {
            work.run(channel);
        }
    }

    @Override
    protected TransportFactory factory() {
        return new RabbitMqTransportFactory();
    }

    @Override
    protected Map<String, String> config(String aggregateType) {
        return Map.of(RabbitMqSettings.URI.env(), uri(), RabbitMqSettings.ROUTE_DEFAULT.env(), "${aggregatetype}");
    }

    @Override
    protected void createDestination(String aggregateType) throws Exception {
        exchanges.add(aggregateType);
        queues.add(aggregateType);
        withChannel(ch -> {
            ch.exchangeDeclare(aggregateType, BuiltinExchangeType.TOPIC, true);
            ch.queueDeclare(aggregateType, true, false, false, null);
            ch.queueBind(aggregateType, aggregateType, "#");
        });
    }

    @Override
    protected void startConsumer(String aggregateType) throws Exception {
        consumedQueue = aggregateType;
        consume();
    }

    private void consume() throws Exception {
        Connection c = connect();
        Channel channel = c.createChannel();
        channel.basicConsume(consumedQueue, true, new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties p, byte[] body) {
                Map<String, String> headers = new HashMap<>();
                if (p.getHeaders() != null) {
                    p.getHeaders().forEach((k, v) -> headers.put(k, String.valueOf(v)));
                }
                putIfSet(headers, "message-id", p.getMessageId());
                putIfSet(headers, "content-type", p.getContentType());
                putIfSet(headers, "type", p.getType());
                putIfSet(headers, "delivery-mode", p.getDeliveryMode());
                putIfSet(headers, "timestamp", p.getTimestamp() == null ? null : p.getTimestamp().toInstant());
                synchronized (received) {
                    received.add(new Received(envelope.getRoutingKey(), headers, body));
                }
            }
        });
        consumerConnection = c;
    }

    private static void putIfSet(Map<String, String> headers, String name, Object value) {
        if (value != null) {
            headers.put(name, value.toString());
        }
    }

    @Override
    protected List<Received> received() throws Exception {
        if (consumerConnection != null && !consumerConnection.isOpen()) {
            // The broker was restarted: the durable queue kept what arrived meanwhile.
            consumerConnection = null;
            consume();
        }
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    @Override
    protected String attribute(Received message, String name) {
        // CloudEvents AMQP binding: datacontenttype is the content-type property, the rest are headers.
        return name.equals("datacontenttype") ? message.headers().get("content-type")
                : message.headers().get(Publication.PREFIX + name);
    }

    @Override
    protected void makeUndeliverable(String aggregateType) throws Exception {
        // An exchange without any binding: mandatory messages come back (basic.return).
        exchanges.add(aggregateType);
        withChannel(ch -> ch.exchangeDeclare(aggregateType, BuiltinExchangeType.TOPIC, true));
    }

    @Override
    protected void stopServer() throws Exception {
        run(command("OUTBOX_TEST_RABBITMQ_STOP", "rabbitmqctl stop_app"));
    }

    @Override
    protected void startServer() throws Exception {
        run(command("OUTBOX_TEST_RABBITMQ_START", "rabbitmqctl start_app"));
        awaitBroker();
    }

    @Override
    protected void cleanUp(String aggregateType) throws Exception {
        if (consumerConnection != null) {
            consumerConnection.abort(2_000);
        }
        exchanges.add(aggregateType + "x"); // the contract's poison destination
        withChannel(ch -> {
            for (String q : queues) {
                ch.queueDelete(q);
            }
            for (String e : exchanges) {
                ch.exchangeDelete(e); // deleting a missing exchange is not an error in RabbitMQ
            }
        });
    }

    /** Whatever happened, the broker is running again for the next class. */
    @AfterAll
    static void brokerIsRunning() throws Exception {
        try {
            connect().close();
        } catch (IOException | TimeoutException e) {
            run(command("OUTBOX_TEST_RABBITMQ_START", "rabbitmqctl start_app"));
            awaitBroker();
        }
    }

    private static void awaitBroker() {
        await("RabbitMQ accepts connections again", SERVER_WAIT, () -> {
            try {
                connect().close();
                return true;
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static String command(String env, String fallback) {
        String configured = System.getenv(env);
        return configured == null || configured.isBlank() ? fallback : configured;
    }

    private static void run(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        assertThat(p.exitValue()).as("exit code of %s: %s", command, output).isZero();
    }

    // ----- RabbitMQ specifics -----

    private static OutboxMessage message(String aggregateType, String type, Map<String, String> headers) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, "k-" + UUID.randomUUID(), type,
                "{\"n\": 1, \"text\": \"äö €\"}", headers, Instant.parse("2026-11-26T12:00:00.123456Z"), 1);
    }

    @Test
    void publishesPersistentMessagesWithCloudEventsHeadersAndAmqpProperties() throws Exception {
        OutboxMessage m = message(aggregateType, "ThingCreated",
                Map.of("traceparent", TRACEPARENT, "correlationid", "req-7", "X-Tenant", "acme"));
        try (Transport t = transport(Map.of())) {
            assertThat(t.send(List.of(m))).containsExactly(SendResult.acknowledged(m.id()));
        }
        awaitReceived(1);
        Received r = received().get(0);
        assertThat(r.key()).as("routing key ${aggregatetype}.${type}").isEqualTo(aggregateType + ".ThingCreated");
        assertThat(r.headers()).contains(
                Map.entry("message-id", m.id().toString()),
                Map.entry("content-type", "application/json"),
                Map.entry("type", "ThingCreated"),
                Map.entry("delivery-mode", "2"),
                Map.entry("timestamp", "2026-11-26T12:00:00Z"),
                Map.entry("cloudEvents:id", m.id().toString()),
                Map.entry("cloudEvents:specversion", "1.0"),
                Map.entry("cloudEvents:source", "/outbox"),
                Map.entry("cloudEvents:type", "ThingCreated"),
                Map.entry("cloudEvents:subject", m.aggregateId()),
                Map.entry("cloudEvents:time", "2026-11-26T12:00:00.123456Z"),
                Map.entry("cloudEvents:aggregatetype", aggregateType),
                Map.entry("cloudEvents:traceparent", TRACEPARENT),
                Map.entry("cloudEvents:correlationid", "req-7"),
                Map.entry("X-Tenant", "acme"));
        assertThat(r.headers()).doesNotContainKey("cloudEvents:datacontenttype");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(m.payload());
    }

    /** The embedders' builder makes the same transport as the factory: its settings apply. */
    @Test
    void aTransportFromTheBuilderDeliversWithItsSettings() throws Exception {
        OutboxMessage m = message(aggregateType, "ThingCreated", Map.of());
        try (Transport t = RabbitMqTransport.builder().uri(uri()).routes(aggregateType + "=" + aggregateType)
                .routeDefault("").routingKey("v1.${type}").confirmTimeout(Duration.ofSeconds(10))
                .declareExchange(false).cloudEventsSource("/builder-it").build()) {
            assertThat(t.send(List.of(m))).containsExactly(SendResult.acknowledged(m.id()));
        }
        awaitReceived(1);
        Received r = received().get(0);
        assertThat(r.key()).isEqualTo("v1.ThingCreated");
        assertThat(attribute(r, "source")).isEqualTo("/builder-it");
        assertThat(attribute(r, "id")).isEqualTo(m.id().toString());
    }

    @Test
    void unroutableMessageIsReportedAsNonRetryableFailureAndNeverAcknowledged() throws Exception {
        String unbound = aggregateType + "u";
        makeUndeliverable(unbound);
        OutboxMessage lost = message(unbound, "ThingCreated", Map.of());
        OutboxMessage routed = message(aggregateType, "ThingCreated", Map.of());
        List<SendResult> results;
        try (Transport t = transport(Map.of())) {
            results = t.send(List.of(lost, routed));
        }
        assertThat(results).hasSize(2);
        assertThat(results.get(0).isAcknowledged()).isFalse();
        assertThat(results.get(0).failure().retryable()).isFalse();
        assertThat(results.get(0).failure().getMessage()).startsWith("unroutable").contains(unbound)
                .contains("312 NO_ROUTE");
        assertThat(results.get(1)).isEqualTo(SendResult.acknowledged(routed.id()));
        awaitReceived(1);
        assertThat(received()).extracting(r -> attribute(r, "id")).containsExactly(routed.id().toString());
    }

    @Test
    void missingExchangeFailsOnlyItsEventsPermanentlyAndLaterBatchesStillFlow() throws Exception {
        String missing = aggregateType + "m";
        try (Transport t = transport(Map.of())) {
            OutboxMessage orphan = message(missing, "ThingCreated", Map.of());
            OutboxMessage fine = message(aggregateType, "ThingCreated", Map.of());
            List<SendResult> first = t.send(List.of(orphan, fine));
            assertThat(first.get(0).isAcknowledged()).isFalse();
            assertThat(first.get(0).failure().retryable()).isFalse();
            assertThat(first.get(0).failure().getMessage()).contains("exchange " + missing + " does not exist");
            assertThat(first.get(1).isAcknowledged()).isTrue();

            OutboxMessage later = message(aggregateType, "ThingChanged", Map.of());
            assertThat(t.send(List.of(later))).containsExactly(SendResult.acknowledged(later.id()));
        }
        awaitReceived(2);
        assertThat(exchangeExists(missing)).as("nothing declared").isFalse();
    }

    @Test
    void exchangeDeletedAfterItWasCheckedFailsItsEventsAndTheRestOfTheBatchIsStillDelivered() throws Exception {
        String doomed = aggregateType + "d";
        createDestination(doomed);
        try (Transport t = transport(Map.of())) {
            OutboxMessage first = message(doomed, "ThingCreated", Map.of());
            assertThat(t.send(List.of(first))).containsExactly(SendResult.acknowledged(first.id()));
            withChannel(ch -> ch.exchangeDelete(doomed));

            // The transport still believes the exchange exists: the broker closes the channel (404)
            // in the middle of the batch, and the others are published again on a new channel.
            List<OutboxMessage> batch = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                batch.add(message(aggregateType, "ThingCreated", Map.of()));
            }
            OutboxMessage orphan = message(doomed, "ThingChanged", Map.of());
            batch.add(10, orphan);
            List<SendResult> results = t.send(batch);
            for (int i = 0; i < batch.size(); i++) {
                SendResult r = results.get(i);
                assertThat(r.eventId()).isEqualTo(batch.get(i).id());
                if (batch.get(i) == orphan) {
                    assertThat(r.isAcknowledged()).isFalse();
                    assertThat(r.failure().retryable()).isFalse();
                    assertThat(r.failure().getMessage()).contains("exchange " + doomed + " does not exist");
                } else {
                    assertThat(r.isAcknowledged()).as("result %s: %s", i, r).isTrue();
                }
            }
            OutboxMessage later = message(aggregateType, "ThingChanged", Map.of());
            assertThat(t.send(List.of(later))).containsExactly(SendResult.acknowledged(later.id()));
        }
        awaitReceived(21);
        Set<String> ids = new LinkedHashSet<>();
        received().forEach(r -> ids.add(attribute(r, "id")));
        assertThat(ids).as("all 20 + 1 distinct events arrived (republished ones may repeat)").hasSize(21);
    }

    @Test
    void declaresAMissingExchangeAsDurableTopicWhenConfigured() throws Exception {
        String declared = aggregateType + "n";
        exchanges.add(declared);
        OutboxMessage m = message(declared, "ThingCreated", Map.of());
        List<SendResult> results;
        try (Transport t = transport(Map.of(RabbitMqSettings.DECLARE_EXCHANGE.env(), "true"))) {
            results = t.send(List.of(m));
        }
        assertThat(exchangeExists(declared)).isTrue();
        assertThat(results.get(0).failure()).as("a new exchange has no queue yet: unroutable").isNotNull();
        assertThat(results.get(0).failure().getMessage()).startsWith("unroutable");
    }

    @Test
    void failsTheWholeBatchRetryableWhenTheBrokerIsUnreachableAndRecoversWithoutANewTransport() throws Exception {
        try (Transport t = transport(Map.of())) {
            OutboxMessage before = message(aggregateType, "ThingCreated", Map.of());
            assertThat(t.send(List.of(before))).containsExactly(SendResult.acknowledged(before.id()));
            stopServer();
            try {
                OutboxMessage during = message(aggregateType, "ThingCreated", Map.of());
                assertThatThrownBy(() -> t.send(List.of(during)))
                        .isInstanceOfSatisfying(TransportException.class,
                                e -> assertThat(e.retryable()).isTrue())
                        .hasMessageNotContaining("guest:guest");
            } finally {
                startServer();
            }
            OutboxMessage after = message(aggregateType, "ThingChanged", Map.of());
            assertThat(t.send(List.of(after))).containsExactly(SendResult.acknowledged(after.id()));
        }
        awaitReceived(2);
    }

    /**
     * A broker that stops answering is an outage: before a batch (through a proxy that forwards
     * nothing) and in its middle (the proxy stops forwarding after the start of the batch, so the
     * broker confirms only that). No event is charged; after the stall all are delivered.
     */
    @Test
    void aBrokerThatStopsAnsweringBeforeOrDuringABatchIsAnOutage() throws Exception {
        URI broker = URI.create(uri());
        List<OutboxMessage> all = new ArrayList<>();
        try (StallingProxy proxy = StallingProxy.to(broker.getHost(), broker.getPort() < 0 ? 5672 : broker.getPort());
             Transport t = transport(Map.of(RabbitMqSettings.URI.env(), "amqp://" + broker.getRawUserInfo()
                     + "@" + proxy.address(), RabbitMqSettings.CONFIRM_TIMEOUT.env(), "2s"))) {
            assertThat(t.send(List.of(message(aggregateType, "ThingCreated", Map.of()))))
                    .allMatch(SendResult::isAcknowledged);

            List<OutboxMessage> before = batch(20, 100);
            List<OutboxMessage> during = batch(200, 1_000);
            assertStallsBeforeAndDuringABatchAreOutages(t, proxy, before, during,
                    () -> assertThat(t.send(List.of(message(aggregateType, "ThingCreated", Map.of()))))
                            .as("reconnected").allMatch(SendResult::isAcknowledged), WAIT);
            all.addAll(before);
            all.addAll(during);
        }
        await("every event at the consumer", WAIT, () -> {
            Set<String> ids = new HashSet<>();
            received().forEach(m -> ids.add(attribute(m, "id")));
            return all.stream().allMatch(m -> ids.contains(m.id().toString()));
        });
    }

    /**
     * A body above the broker's max_message_size (set low for this test's channel with
     * rabbitmqctl eval; the broker reads it when a channel opens) fails permanently, naming its size
     * and the limit; the other events of the batch are delivered.
     */
    @Test
    void aMessageAboveTheBrokersMaxMessageSizeFailsPermanentlyAndTheRestOfTheBatchIsDelivered() throws Exception {
        List<OutboxMessage> batch = new ArrayList<>(batch(3, 100));
        OutboxMessage big = batch(1, 10_000).get(0);
        batch.add(1, big);
        List<SendResult> results;
        try (Transport t = transport(Map.of())) {
            run("rabbitmqctl eval 'application:set_env(rabbit, max_message_size, 4096).'");
            try {
                assertThat(t.send(List.of(message(aggregateType, "ThingCreated", Map.of()))))
                        .allMatch(SendResult::isAcknowledged); // the channel is opened with the low limit
            } finally {
                run("rabbitmqctl eval 'application:set_env(rabbit, max_message_size, 134217728).'");
            }
            results = t.send(batch);
        }
        assertThat(results.get(1).failure()).isNotNull().satisfies(f -> {
            assertThat(f.retryable()).isFalse();
            assertThat(f.getMessage()).contains("max_message_size", "4096 bytes",
                    big.payload().getBytes(StandardCharsets.UTF_8).length + " bytes");
        });
        assertThat(List.of(results.get(0), results.get(2), results.get(3))).allMatch(SendResult::isAcknowledged);
        awaitReceived(4);
    }

    /** Markers in the URI's user and password never show: not in errors, stack traces, logs or settings. */
    @Test
    void noPasswordShowsWhenTheBrokerIsUnreachableOrRefusesTheLogin() {
        URI broker = URI.create(uri());
        StringBuilder shown = new StringBuilder();
        for (String uri : List.of("amqp://Us3rMark:Pa55Mark@127.0.0.1:1",
                "amqp://guest:Pa55Mark@" + broker.getHost() + ":" + (broker.getPort() < 0 ? 5672 : broker.getPort()))) {
            Map<String, String> config = Map.of(RabbitMqSettings.URI.env(), uri);
            shown.append(RabbitMqSettings.from(ConfigReader.require(RabbitMqSettings.MODEL, config)));
            try (CapturedLogs logs = CapturedLogs.start();
                 Transport t = transport(config)) {
                Throwable thrown = catchThrowable(() -> t.send(List.of(message(aggregateType, "ThingCreated", Map.of()))));
                assertThat(thrown).isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue());
                shown.append(thrown.getMessage()).append(CapturedLogs.stackTrace(thrown)).append(logs.text());
            }
        }
        assertThat(shown.toString()).contains("cannot connect to RabbitMQ", "ACCESS_REFUSED")
                .doesNotContain("Pa55Mark");
    }

    /** Closing while the broker does not answer returns within a few seconds (the relay's shutdown is bounded). */
    @Test
    void closingDuringAStallReturnsPromptly() throws Exception {
        URI broker = URI.create(uri());
        try (StallingProxy proxy = StallingProxy.to(broker.getHost(), broker.getPort() < 0 ? 5672 : broker.getPort())) {
            Transport t = transport(Map.of(RabbitMqSettings.URI.env(), "amqp://" + broker.getRawUserInfo()
                    + "@" + proxy.address(), RabbitMqSettings.CONFIRM_TIMEOUT.env(), "10s"));
            assertThat(t.send(List.of(message(aggregateType, "ThingCreated", Map.of()))))
                    .allMatch(SendResult::isAcknowledged);
            proxy.stall();
            CompletableFuture<List<SendResult>> sending = CompletableFuture.supplyAsync(
                    () -> sendOrOutage(t, batch(20, 100)));
            long started = System.nanoTime();
            t.close();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("close() during a stall")
                    .isLessThan(Duration.ofSeconds(3));
            assertNoneCharged(sending.get(30, TimeUnit.SECONDS));
        }
    }

    private List<OutboxMessage> batch(int count, int payloadBytes) {
        List<OutboxMessage> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(new OutboxMessage(UUID.randomUUID(), i + 1, aggregateType, "k-" + UUID.randomUUID(),
                    "ThingCreated", "{\"pad\": \"" + "x".repeat(payloadBytes) + "\"}", Map.of(), Instant.now(), 1));
        }
        return batch;
    }

    private static boolean exchangeExists(String name) throws Exception {
        try (Connection c = connect()) {
            Channel ch = c.createChannel();
            try {
                ch.exchangeDeclarePassive(name);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }
}
