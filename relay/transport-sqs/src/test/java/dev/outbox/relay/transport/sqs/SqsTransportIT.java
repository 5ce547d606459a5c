package dev.outbox.relay.transport.sqs;

import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static dev.outbox.relay.testing.Outages.assertStallsBeforeAndDuringABatchAreOutages;
import static dev.outbox.relay.testing.Outages.sendOrOutage;
import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testing.ClosingProxy;
import dev.outbox.core.OutboxEvent;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.testing.TransportContract;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.testing.StallingProxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * The transport contract against SQS as moto emulates it ({@code OUTBOX_TEST_AWS_ENDPOINT}, e.g.
 * {@code http://127.0.0.1:5000}), read back with an independent SDK client, plus what is
 * particular to SQS: the message attributes on the wire, FIFO queues (group id = event key,
 * deduplication id = event id, per-key order), queue URLs as routes, stalls before and during a
 * batch.
 *
 * <p>The transport reaches moto through a {@link ClosingProxy}, closed and opened again for the
 * contract's server stop and start, so the shared emulator keeps running. Credentials are dummy
 * values in the system properties the SDK's default chain reads. Every test creates its own
 * queues and deletes them.
 */
class SqsTransportIT extends TransportContract {
    private static final String ENDPOINT_ENV = "OUTBOX_TEST_AWS_ENDPOINT";
    private static final String REGION = "us-east-1";

    static {
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
    }

    private final SqsClient admin = client(endpoint());
    private final ClosingProxy proxy = ClosingProxy.to(endpoint().getHost(), endpoint().getPort());
    private final List<String> queues = new ArrayList<>();
    private final List<Transport> transports = new ArrayList<>();
    private final List<QueueReader> readers = new ArrayList<>();
    private QueueReader consumer;

    private static URI endpoint() {
        String url = System.getenv(ENDPOINT_ENV);
        if (url == null || url.isBlank()) {
            throw new IllegalStateException(ENDPOINT_ENV + " is not set: point it at moto, e.g. http://127.0.0.1:5000,"
                    + " started with `bash .ci/emulators.sh start` (these tests never skip)");
        }
        return URI.create(url.strip());
    }

    private static SqsClient client(URI endpoint) {
        return SqsClient.builder().endpointOverride(endpoint).region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    @Override
    protected TransportFactory factory() {
        return new SqsTransportFactory();
    }

    /**
     * moto takes some 25-50 messages per second here, and slows down as a queue grows (every send
     * recounts it): 5,000 do not fit the contract's wait. 1,000 over 100 keys still check content,
     * attributes, once-only and per-key order.
     */
    @Override
    protected int deliveredEventCount() {
        return 1000;
    }

    @Override
    protected Map<String, String> config(String aggregateType) {
        // OUTBOX_ROUTE_DEFAULT left out on purpose: its default is ${aggregatetype}, the queue's name.
        return Map.of("OUTBOX_SQS_ENDPOINT", "http://127.0.0.1:" + proxy.port(), "OUTBOX_SQS_REGION", REGION,
                "OUTBOX_SQS_TIMEOUT", "5s");
    }

    @Override
    protected void createDestination(String aggregateType) {
        createQueue(aggregateType, Map.of());
    }

    private String createQueue(String name, Map<QueueAttributeName, String> attributes) {
        String url = admin.createQueue(b -> b.queueName(name).attributes(attributes)).queueUrl();
        queues.add(url);
        return url;
    }

    @Override
    protected void startConsumer(String aggregateType) {
        consumer = consume(admin.getQueueUrl(b -> b.queueName(aggregateType)).queueUrl());
    }

    @Override
    protected List<Received> received() {
        return consumer.messages().stream().map(SqsTransportIT::toReceived).toList();
    }

    /**
     * Starts reading {@code queueUrl} in the background, as a consumer would: moto's SQS gets slower
     * with every message a queue holds, so the messages are taken out while the relay sends.
     */
    private QueueReader consume(String queueUrl) {
        QueueReader reader = new QueueReader(admin, queueUrl);
        readers.add(reader);
        return reader;
    }

    /** One thread receiving (long polling) and deleting the messages of a queue, in the order SQS hands them out. */
    static final class QueueReader implements AutoCloseable {
        private final List<Message> messages = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
        private volatile boolean stopped;

        QueueReader(SqsClient client, String queueUrl) {
            thread = new Thread(() -> {
                while (!stopped) {
                    try {
                        List<Message> some = client.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
                                .waitTimeSeconds(1).messageAttributeNames("All")
                                .messageSystemAttributeNames(MessageSystemAttributeName.ALL)).messages();
                        if (!some.isEmpty()) {
                            client.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(some.stream()
                                    .map(m -> DeleteMessageBatchRequestEntry.builder().id(m.messageId())
                                            .receiptHandle(m.receiptHandle()).build()).toList()));
                            messages.addAll(some);
                        }
                    } catch (RuntimeException e) {
                        if (!stopped) {
                            failure.set(e);
                        }
                        return;
                    }
                }
            }, "sqs-test-reader");
            thread.setDaemon(true);
            thread.start();
        }

        /** Everything read so far. */
        List<Message> messages() {
            RuntimeException e = failure.get();
            if (e != null) {
                throw new IllegalStateException("the test's queue reader failed", e);
            }
            return List.copyOf(messages);
        }

        @Override
        public void close() {
            stopped = true;
        }
    }

    /** The message attributes, with {@code outbox-extra} unpacked into its entries. */
    private static Received toReceived(Message m) {
        Map<String, String> headers = new LinkedHashMap<>();
        m.messageAttributes().forEach((name, value) -> headers.put(name, value.stringValue()));
        String extra = headers.get(SqsMessages.EXTRA);
        if (extra != null) {
            headers.putAll(FlatJson.parse(extra));
        }
        return new Received(headers.get("ce-subject"), headers, m.body().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected String attribute(Received message, String name) {
        return message.headers().get(SqsMessages.ATTRIBUTE_PREFIX + name);
    }

    /** Nothing to create: events of this aggregate type are routed to a queue that does not exist. */
    @Override
    protected void makeUndeliverable(String aggregateType) {
        try {
            String url = admin.getQueueUrl(b -> b.queueName(aggregateType)).queueUrl();
            admin.deleteQueue(b -> b.queueUrl(url));
        } catch (QueueDoesNotExistException expected) {
            // as it should be
        }
    }

    @Override
    protected void stopServer() {
        proxy.close();
    }

    @Override
    protected void startServer() {
        proxy.open();
    }

    @Override
    protected void cleanUp(String aggregateType) {
        try {
            transports.forEach(Transport::close);
            readers.forEach(QueueReader::close);
            proxy.close();
            for (String url : queues) {
                try {
                    admin.deleteQueue(b -> b.queueUrl(url));
                } catch (QueueDoesNotExistException gone) {
                    // deleted by the test
                }
            }
        } finally {
            admin.close();
        }
    }

    @Test
    void sendsThePayloadAsBodyAndTheDocumentedMessageAttributes() {
        Transport transport = open(Map.of("OUTBOX_CLOUDEVENTS_SOURCE", "/shop"));
        OutboxMessage m = message(aggregateType, "o-1", "{\"total\": 12.50, \"text\": \"äö € 😀\"}",
                Map.of("traceparent", TRACEPARENT, "correlationid", "req-1", "X-Tenant", "acme"));

        assertThat(transport.send(List.of(m))).containsExactly(SendResult.acknowledged(m.id()));

        List<Message> messages = awaitMessages(consumer, 1);
        assertThat(messages).singleElement().satisfies(got -> {
            assertThat(got.body()).isEqualTo(m.payload());
            Map<String, String> attributes = new LinkedHashMap<>();
            got.messageAttributes().forEach((name, value) -> {
                assertThat(value.dataType()).isEqualTo("String");
                attributes.put(name, value.stringValue());
            });
            assertThat(attributes).containsExactlyInAnyOrderEntriesOf(
                    SqsMessages.attributes(CloudEvent.of(m, "/shop")));
            assertThat(attributes).hasSize(10).containsEntry("ce-id", m.id().toString())
                    .containsEntry("ce-traceparent", TRACEPARENT)
                    .containsEntry("outbox-extra", "{\"ce-correlationid\":\"req-1\",\"h-X-Tenant\":\"acme\"}");
        });
    }

    @Test
    void aTransportFromTheBuilderSendsToAQueueUrlInBatchesOfAtMostTenAnd256KiB() {
        String url = admin.getQueueUrl(b -> b.queueName(aggregateType)).queueUrl();
        Transport transport = SqsTransport.builder().endpoint("http://127.0.0.1:" + proxy.port()).region(REGION)
                .timeout(Duration.ofSeconds(5)).routes(aggregateType + "=" + url).routeDefault("")
                .cloudEventsSource("/shop").build();
        transports.add(transport);
        // 25 events of about 60 kB: more than ten per queue and more than 256 KiB, so several requests.
        List<OutboxMessage> batch = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            batch.add(message(aggregateType, "k-" + i, "{\"n\": " + i + ", \"pad\": \"" + "x".repeat(60_000) + "\"}",
                    Map.of()));
        }

        List<SendResult> results = transport.send(batch);

        assertThat(results).allMatch(SendResult::isAcknowledged).hasSize(25);
        List<Message> messages = awaitMessages(consumer, 25);
        assertThat(messages).extracting(msg -> msg.messageAttributes().get("ce-id").stringValue())
                .containsExactlyInAnyOrderElementsOf(batch.stream().map(e -> e.id().toString()).toList());
    }

    @Test
    void aFifoQueueGetsEveryKeyInOrderWithTheKeyAsGroupIdAndTheEventIdAsDeduplicationId() throws Exception {
        String fifo = aggregateType + ".fifo";
        String url = createQueue(fifo, Map.of(QueueAttributeName.FIFO_QUEUE, "true",
                QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "false"));
        QueueReader reader = consume(url);
        List<OutboxEvent> events = write(aggregateType, 600, 12);
        startRelay(open(Map.of("OUTBOX_ROUTES", aggregateType + "=" + fifo)), fast());
        awaitAllPublished(db, WAIT);

        Map<String, OutboxEvent> byId = new HashMap<>();
        events.forEach(e -> byId.put(e.id().toString(), e));
        List<Message> messages = awaitMessages(reader, 600);
        Map<UUID, Object[]> stored = stored();
        Map<String, Long> lastSeqByKey = new HashMap<>();
        for (Message got : messages) {
            String id = got.messageAttributes().get("ce-id").stringValue();
            OutboxEvent e = byId.get(id);
            assertThat(e).as("received an event that was written: %s", id).isNotNull();
            assertThat(got.attributes()).containsEntry(MessageSystemAttributeName.MESSAGE_GROUP_ID,
                            aggregateType + "/" + e.aggregateId())
                    .containsEntry(MessageSystemAttributeName.MESSAGE_DEDUPLICATION_ID, id);
            long seq = (Long) stored.get(e.id())[0];
            Long last = lastSeqByKey.put(e.aggregateId(), seq);
            assertThat(last == null || last < seq).as("per-key order of %s", e.aggregateId()).isTrue();
        }
        assertThat(messages).hasSize(600);
        assertThat(lastSeqByKey).hasSize(12);
    }

    @Test
    void aKeyThatIsNoValidGroupIdGoesToTheGroupOfItsHash() {
        String fifo = aggregateType + ".fifo";
        String url = createQueue(fifo, Map.of(QueueAttributeName.FIFO_QUEUE, "true"));
        QueueReader reader = consume(url);
        Transport transport = open(Map.of("OUTBOX_ROUTES", aggregateType + "=" + fifo));
        OutboxMessage longKey = message(aggregateType, "k".repeat(200), "{}", Map.of());
        OutboxMessage spaced = message(aggregateType, "Müller & Söhne", "{}", Map.of());

        assertThat(transport.send(List.of(longKey, spaced))).allMatch(SendResult::isAcknowledged);

        Map<String, String> groupById = new HashMap<>();
        awaitMessages(reader, 2).forEach(got -> groupById.put(got.messageAttributes().get("ce-id").stringValue(),
                got.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID)));
        assertThat(groupById).containsOnly(
                Map.entry(longKey.id().toString(), SqsMessages.groupId(longKey)),
                Map.entry(spaced.id().toString(), SqsMessages.groupId(spaced)));
        assertThat(groupById.values()).allMatch(g -> g.matches("sha256-[0-9a-f]{64}"));
    }

    @Test
    void anEventToAMissingQueueFailsNonRetryablyWhileTheOthersOfTheBatchAreAcknowledged() {
        String missing = aggregateType + "x";
        makeUndeliverable(missing);
        Transport transport = open(Map.of());
        OutboxMessage ok = message(aggregateType, "k-1", "{}", Map.of());
        OutboxMessage lost = message(missing, "k-2", "{}", Map.of());
        OutboxMessage huge = message(aggregateType, "k-3", "\"" + "x".repeat(SqsTransport.MAX_REQUEST_BYTES) + "\"",
                Map.of());

        List<SendResult> results = transport.send(List.of(ok, lost, huge));

        assertThat(results.get(0)).isEqualTo(SendResult.acknowledged(ok.id()));
        assertThat(results.get(1).failure()).hasMessageContaining("does not exist")
                .satisfies(f -> assertThat(f.retryable()).isFalse());
        assertThat(results.get(2).failure()).hasMessageContaining("more than the 262144 bytes")
                .satisfies(f -> assertThat(f.retryable()).isFalse());
        assertThat(awaitMessages(consumer, 1)).hasSize(1);
    }

    /**
     * An endpoint that stops answering before or during a batch (a proxy that stops forwarding)
     * is an outage: nothing is charged, the requests SQS got before the stall are acknowledged, and
     * after it the same transport delivers the rest. The requests of a batch run concurrently on
     * connections of their own; the transport abandons (closes) those that time out, and the proxy
     * forwards what it held of them when it resumes. Before the mid-batch stall the first stall's
     * events are sent again until SQS took them all, so that what the proxy held of them is through
     * and does not use up the 50 kB it forwards of the second batch.
     */
    @Test
    void aStalledEndpointIsAnOutageBeforeAndDuringABatch() {
        List<OutboxMessage> before = new ArrayList<>();
        List<OutboxMessage> during = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String pad = "{\"pad\": \"" + "x".repeat(1_000) + "\"}";
            before.add(message(aggregateType, "b" + i, pad, Map.of()));
            during.add(message(aggregateType, "d" + i, pad, Map.of()));
        }
        URI endpoint = endpoint();
        try (StallingProxy stalling = StallingProxy.to(endpoint.getHost(), endpoint.getPort())) {
            Transport transport = open(Map.of("OUTBOX_SQS_ENDPOINT", "http://" + stalling.address(),
                    "OUTBOX_SQS_TIMEOUT", "5s")); // moto takes ~0.3 s for 10 messages, seconds under load
            assertStallsBeforeAndDuringABatchAreOutages(transport, stalling, before, during,
                    () -> await("the first stall's events are taken", WAIT,
                            () -> sendOrOutage(transport, before).stream().allMatch(SendResult::isAcknowledged)),
                    WAIT);
        }
        List<String> ids = new ArrayList<>(before.stream().map(m -> m.id().toString()).toList());
        during.forEach(m -> ids.add(m.id().toString()));
        await("every event read from the queue", WAIT, () -> consumer.messages().stream()
                .map(m -> m.messageAttributes().get("ce-id").stringValue()).collect(Collectors.toSet()).containsAll(ids));
    }

    private static List<Message> awaitMessages(QueueReader reader, int count) {
        await(count + " messages read from the queue", WAIT, () -> reader.messages().size() >= count);
        return reader.messages();
    }

    private Transport open(Map<String, String> extra) {
        Transport transport = transport(extra);
        transports.add(transport);
        return transport;
    }

    private static OutboxMessage message(String aggregateType, String key, String payload, Map<String, String> headers) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, key, "ThingHappened", payload, headers,
                Instant.parse("2026-11-26T12:00:00.123Z"), 1);
    }

    /** Reads the flat JSON object of strings that {@code outbox-extra} holds. */
    static final class FlatJson {
        private final String text;
        private int at;

        private FlatJson(String text) {
            this.text = text;
        }

        static Map<String, String> parse(String text) {
            FlatJson p = new FlatJson(text.strip());
            Map<String, String> values = new LinkedHashMap<>();
            p.expect('{');
            if (p.peek() == '}') {
                return values;
            }
            do {
                String key = p.string();
                p.expect(':');
                values.put(key, p.string());
            } while (p.next() == ',');
            return values;
        }

        private char peek() {
            return text.charAt(at);
        }

        private char next() {
            return text.charAt(at++);
        }

        private void expect(char c) {
            if (next() != c) {
                throw new IllegalArgumentException("expected " + c + " at " + (at - 1) + " in " + text);
            }
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            for (char c = next(); c != '"'; c = next()) {
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(e);
                }
            }
            return out.toString();
        }
    }
}
