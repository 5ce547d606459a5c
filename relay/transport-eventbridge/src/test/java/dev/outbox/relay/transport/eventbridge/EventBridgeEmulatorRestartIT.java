package dev.outbox.relay.transport.eventbridge;

import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.testing.EmulatorRestartContract;
import dev.outbox.relay.testing.PrivateEmulator;
import jakarta.json.Json;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.Target;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A moto of this test alone killed with SIGKILL while a relay drains a backlog into an
 * EventBridge bus, and started again on the same port: see {@link EmulatorRestartContract} for
 * what is checked. The consumer is, as in {@link EventBridgeTransportIT}, an SQS queue that a
 * rule on the bus targets, read all along by the test's own SQS client.
 *
 * <p><b>Accounting: nothing may be lost.</b> moto keeps its state in memory, but its recorder
 * appends every request to a file before handling it, so every {@code PutEvents} moto accepted
 * is in that file when it dies. After the restart the recording is replayed without the
 * consumer's SQS requests: the bus, the rule, its target and the queue are created again, and
 * every accepted entry is put again and delivered to the queue, so every event must arrive, those
 * read before the kill a second time. EventBridge promises no order to targets: per-key order is
 * not checked.
 *
 * <p>200 events over 100 keys, not thousands: moto delivers an event to a rule's target after
 * parsing a JSONPath expression with a parser it builds anew each time (some 0.1 s of CPU per
 * event and target, measured with cProfile: jsonpath_ng's yacc tables), and the replay delivers
 * the events accepted before the kill once more; so the test stays near a minute. The transport's
 * credentials are the pom's dummy system properties.
 */
class EventBridgeEmulatorRestartIT extends EmulatorRestartContract {
    private static final String REGION = "us-east-1";
    private static final Set<String> CONSUMER_ACTIONS = Set.of("ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
            "ChangeMessageVisibility", "ChangeMessageVisibilityBatch");

    private EventBridgeClient events;
    private SqsClient sqs;
    private Reader reader;

    @Override
    protected PrivateEmulator startEmulator() {
        return PrivateEmulator.moto();
    }

    @Override
    protected TransportFactory factory() {
        return new EventBridgeTransportFactory();
    }

    @Override
    protected int events() {
        return 200;
    }

    /** Batches of 50 (some 5-10 s for moto), so that the kill comes after the first is marked, early in the drain. */
    @Override
    protected RelayConfig.Builder relayConfig() {
        return super.relayConfig().batchSize(50);
    }

    @Override
    protected Map<String, String> config(String aggregateType, String address) {
        return Map.of("OUTBOX_EVENTBRIDGE_ENDPOINT", "http://" + address, "OUTBOX_EVENTBRIDGE_REGION", REGION,
                "OUTBOX_EVENTBRIDGE_TIMEOUT", "10s", "OUTBOX_ROUTE_DEFAULT", "${aggregatetype}");
    }

    /** A bus named after the aggregate type, a rule matching everything on it, and its target queue, read all along. */
    @Override
    protected void createDestinationAndConsume(String bus) {
        URI moto = emulator.url();
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
        events = EventBridgeClient.builder().endpointOverride(moto).region(Region.of(REGION))
                .credentialsProvider(credentials).httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        sqs = SqsClient.builder().endpointOverride(moto).region(Region.of(REGION)).credentialsProvider(credentials)
                .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(10)))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        events.createEventBus(b -> b.name(bus));
        String url = sqs.createQueue(b -> b.queueName(bus)).queueUrl();
        String arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        events.putRule(b -> b.name("all").eventBusName(bus).eventPattern("{\"source\":[{\"prefix\":\"\"}]}"));
        // One JSONPath per event, not moto's eight of the default template (see EventBridgeTransportIT).
        events.putTargets(b -> b.rule("all").eventBusName(bus).targets(Target.builder().id("queue").arn(arn)
                .inputTransformer(t -> t.inputPathsMap(Map.of("id", "$.id")).inputTemplate("<aws.events.event.json>"))
                .build()));
        reader = new Reader(sqs, url);
    }

    /** The recording, replayed: bus, rule, target, queue and every accepted entry are back; the reader goes on. */
    @Override
    protected boolean recover(String aggregateType) {
        emulator.replayRecordingWithout(CONSUMER_ACTIONS);
        return true;
    }

    @Override
    protected List<String> received() {
        return reader.ids();
    }

    @Override
    protected boolean keepsPerKeyOrder() {
        return false;
    }

    @Override
    protected void cleanUp() {
        if (reader != null) {
            reader.close();
        }
        if (events != null) {
            events.close();
        }
        if (sqs != null) {
            sqs.close();
        }
    }

    /**
     * One thread receiving and deleting the queue's messages all along, through the kill (a failed
     * call is tried again), keeping the event id ({@code detail.id}) of each.
     */
    static final class Reader implements AutoCloseable {
        private final List<String> ids = new CopyOnWriteArrayList<>();
        private volatile boolean stopped;

        Reader(SqsClient client, String queueUrl) {
            Thread thread = new Thread(() -> {
                while (!stopped) {
                    try {
                        List<Message> some = client.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
                                .waitTimeSeconds(1)).messages();
                        if (!some.isEmpty()) {
                            client.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(some.stream()
                                    .map(m -> DeleteMessageBatchRequestEntry.builder().id(m.messageId())
                                            .receiptHandle(m.receiptHandle()).build()).toList()));
                            List<String> got = new ArrayList<>(some.size());
                            some.forEach(m -> got.add(eventId(m.body())));
                            ids.addAll(got);
                        }
                    } catch (RuntimeException e) {
                        // moto is down or has no queue yet: pace the retries, the next receive decides
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    }
                }
            }, "eventbridge-restart-reader");
            thread.setDaemon(true);
            thread.start();
        }

        private static String eventId(String body) {
            try (JsonReader json = Json.createReader(new StringReader(body))) {
                return json.readObject().getJsonObject("detail").getString("id");
            }
        }

        List<String> ids() {
            return List.copyOf(ids);
        }

        @Override
        public void close() {
            stopped = true;
        }
    }
}
