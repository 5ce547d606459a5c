package dev.outbox.relay.transport.eventbridge;

import static dev.outbox.relay.testing.Outages.assertStallsBeforeAndDuringABatchAreOutages;
import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testing.ClosingProxy;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.testing.TransportContract;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.testing.StallingProxy;
import jakarta.json.Json;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.ResourceNotFoundException;
import software.amazon.awssdk.services.eventbridge.model.Target;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The transport contract against moto's EventBridge ({@code OUTBOX_TEST_AWS_ENDPOINT}, e.g.
 * {@code http://127.0.0.1:5000}; {@code bash .ci/emulators.sh start}), plus what is particular to
 * EventBridge: the entry's fields, payloads that are not objects, a partly failed response,
 * entries too large, requests split by count and size, stalls.
 *
 * <p>The destination of a test is an event bus named after its aggregate type with a rule that
 * matches every event on it ({@code {"source":[{"prefix":""}]}}: a pattern must name a field)
 * and targets an SQS queue, which the test reads with its own SQS client: the independent
 * consumer. moto needs no queue policy for the rule; AWS would. The transport reaches moto
 * through a {@link ClosingProxy}, which {@link #stopServer()} closes. Everything a test created
 * is deleted after it. Credentials: dummy ones, as system properties (see the pom).
 */
class EventBridgeTransportIT extends TransportContract {
    private static final String ENDPOINT_ENV = "OUTBOX_TEST_AWS_ENDPOINT";
    private static final String REGION = "us-east-1";
    private static final String RULE = "all";
    private static final String TARGET = "queue";

    private final URI moto = endpoint();
    private final ClosingProxy proxy = ClosingProxy.to(moto.getHost(), moto.getPort());
    private final EventBridgeClient events = EventBridgeClient.builder().endpointOverride(moto)
            .region(Region.of(REGION)).credentialsProvider(credentials())
            .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    private final SqsClient sqs = SqsClient.builder().endpointOverride(moto).region(Region.of(REGION))
            .credentialsProvider(credentials()).httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    private final List<Transport> transports = new ArrayList<>();
    private final List<Received> received = new ArrayList<>();
    private final Map<String, String> queues = new HashMap<>();
    private String queueUrl;

    private static URI endpoint() {
        String url = System.getenv(ENDPOINT_ENV);
        if (url == null || url.isBlank()) {
            throw new IllegalStateException(ENDPOINT_ENV + " is not set: start the emulators with"
                    + " `bash .ci/emulators.sh start` and set it to http://127.0.0.1:5000 (these tests never skip)");
        }
        return URI.create(url.strip());
    }

    private static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    }

    /**
     * moto delivers through a rule to SQS at some 20 events per second (it parses a JSONPath per
     * event and target), too slow for 5,000 within the contract's wait; 300 over 100 keys still
     * checks content, attributes, once-only and per-key order.
     */
    @Override
    protected int deliveredEventCount() {
        return 300;
    }

    @Override
    protected TransportFactory factory() {
        return new EventBridgeTransportFactory();
    }

    @Override
    protected Map<String, String> config(String aggregateType) {
        return Map.of("OUTBOX_EVENTBRIDGE_ENDPOINT", "http://" + proxy.address(), "OUTBOX_EVENTBRIDGE_REGION", REGION,
                "OUTBOX_EVENTBRIDGE_TIMEOUT", "10s", "OUTBOX_ROUTE_DEFAULT", "${aggregatetype}");
    }

    /** A bus named after the aggregate type, a rule matching everything on it, and its queue. */
    @Override
    protected void createDestination(String aggregateType) {
        createBusWithQueue(aggregateType);
    }

    private String createBusWithQueue(String bus) {
        events.createEventBus(b -> b.name(bus));
        String url = sqs.createQueue(b -> b.queueName(bus)).queueUrl();
        queues.put(bus, url);
        String arn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        events.putRule(b -> b.name(RULE).eventBusName(bus).eventPattern("{\"source\":[{\"prefix\":\"\"}]}"));
        // The whole event, as without a transformer; but moto then evaluates 8 JSONPath expressions per
        // event and target (~0.4 s of CPU each), with this one. AWS takes the same transformer.
        events.putTargets(b -> b.rule(RULE).eventBusName(bus).targets(Target.builder().id(TARGET).arn(arn)
                .inputTransformer(t -> t.inputPathsMap(Map.of("id", "$.id")).inputTemplate("<aws.events.event.json>"))
                .build()));
        return url;
    }

    @Override
    protected void startConsumer(String aggregateType) {
        queueUrl = queues.get(aggregateType);
    }

    /** Reads (and deletes) what reached the queue since the last call, keeping arrival order. */
    @Override
    protected List<Received> received() throws Exception {
        List<Message> fresh = drain(queueUrl);
        if (!fresh.isEmpty()) {
            Map<UUID, Object[]> stored = stored();
            for (Message message : fresh) {
                received.add(toReceived(message.body(), stored));
            }
        }
        return List.copyOf(received);
    }

    private List<Message> drain(String url) {
        List<Message> all = new ArrayList<>();
        while (true) {
            List<Message> batch = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(0))
                    .messages();
            if (batch.isEmpty()) {
                return all;
            }
            all.addAll(batch);
            sqs.deleteMessageBatch(b -> b.queueUrl(url).entries(batch.stream().map(m -> DeleteMessageBatchRequestEntry
                    .builder().id(m.messageId()).receiptHandle(m.receiptHandle()).build()).toList()));
        }
    }

    /**
     * The detail's attributes as headers, its {@code data} as the body. EventBridge re-serializes
     * the detail (moto like AWS: {@code 12.50} arrives as {@code 12.5}, non-ASCII escaped), so the
     * contract's byte comparison of the payload cannot hold; the body is the stored payload text
     * when the data is the same JSON value, and the data as received otherwise (failing the check).
     */
    private static Received toReceived(String body, Map<UUID, Object[]> stored) {
        JsonObject detail = parse(body).getJsonObject("detail");
        Map<String, String> headers = new LinkedHashMap<>();
        detail.forEach((name, value) -> {
            if (value instanceof JsonString s) {
                headers.put(name, s.getString());
            }
        });
        JsonValue data = detail.get("data");
        String text = data == null ? "" : data.toString();
        Object[] row = headers.get("id") == null ? null : stored.get(UUID.fromString(headers.get("id")));
        if (row != null && data != null && sameJson(data, parseValue((String) row[1]))) {
            text = (String) row[1];
        }
        return new Received(headers.get("subject"), headers, text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected String attribute(Received message, String name) {
        return message.headers().get(name);
    }

    /** Nothing to do: no bus of that name exists, so EventBridge refuses its events (ResourceNotFoundException). */
    @Override
    protected void makeUndeliverable(String aggregateType) {
        assertThat(events.listEventBuses(b -> b.namePrefix(aggregateType)).eventBuses())
                .noneMatch(b -> b.name().equals(aggregateType));
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
            proxy.close();
            for (Map.Entry<String, String> queue : queues.entrySet()) {
                try {
                    events.removeTargets(b -> b.rule(RULE).eventBusName(queue.getKey()).ids(TARGET));
                    events.deleteRule(b -> b.name(RULE).eventBusName(queue.getKey()));
                    events.deleteEventBus(b -> b.name(queue.getKey()));
                } catch (ResourceNotFoundException alreadyGone) {
                    // a test that failed half-way
                }
                sqs.deleteQueue(b -> b.queueUrl(queue.getValue()));
            }
        } finally {
            events.close();
            sqs.close();
        }
    }

    @Test
    void sendsEachEventAsAnEntryWhoseDetailIsTheCloudEventWithThePayloadAsData() {
        Transport transport = open(Map.of("OUTBOX_CLOUDEVENTS_SOURCE", "/shop"));
        OutboxMessage m = message(aggregateType, "o-1", "{\"total\": 12.50, \"text\": \"äö € 😀\"}",
                Map.of("traceparent", TRACEPARENT, "correlationid", "req-1", "X-Tenant", "acme"));

        assertThat(transport.send(List.of(m))).containsExactly(SendResult.acknowledged(m.id()));

        List<JsonObject> delivered = awaitEnvelopes(queueUrl, 1);
        JsonObject envelope = delivered.get(0);
        assertThat(envelope.getString("source")).isEqualTo("/shop");
        assertThat(envelope.getString("detail-type")).isEqualTo("ThingHappened");
        JsonObject detail = envelope.getJsonObject("detail");
        assertThat(detail.getString("specversion")).isEqualTo("1.0");
        assertThat(detail.getString("id")).isEqualTo(m.id().toString());
        assertThat(detail.getString("source")).isEqualTo("/shop");
        assertThat(detail.getString("type")).isEqualTo("ThingHappened");
        assertThat(detail.getString("subject")).isEqualTo("o-1");
        assertThat(detail.getString("time")).isEqualTo("2026-11-26T12:00:00.123Z");
        assertThat(detail.getString("datacontenttype")).isEqualTo(CloudEvent.CONTENT_TYPE);
        assertThat(detail.getString("aggregatetype")).isEqualTo(aggregateType);
        assertThat(detail.getString("traceparent")).isEqualTo(TRACEPARENT);
        assertThat(detail.getString("correlationid")).isEqualTo("req-1");
        assertThat(detail.getJsonObject(EventBridgeEntries.HEADERS).getString("X-Tenant")).isEqualTo("acme");
        assertThat(sameJson(detail.get("data"), parseValue(m.payload()))).as("data %s", detail.get("data")).isTrue();
    }

    /** Detail must be an object: an array or a scalar payload arrives as the data of the wrapper. */
    @Test
    void payloadsThatAreNotObjectsArriveAsTheData() {
        Transport transport = open(Map.of());
        List<String> payloads = List.of("[1, 2, {\"a\": \"b\"}]", "\"just text\"", "42", "true", "null");
        List<OutboxMessage> batch = new ArrayList<>();
        for (int i = 0; i < payloads.size(); i++) {
            batch.add(message(aggregateType, "k-" + i, payloads.get(i), Map.of()));
        }

        assertThat(transport.send(batch)).allMatch(SendResult::isAcknowledged);

        Map<String, JsonValue> dataById = new HashMap<>();
        awaitEnvelopes(queueUrl, batch.size()).forEach(e -> dataById.put(e.getJsonObject("detail").getString("id"),
                e.getJsonObject("detail").get("data")));
        for (OutboxMessage m : batch) {
            assertThat(sameJson(dataById.get(m.id().toString()), parseValue(m.payload())))
                    .as("data of payload %s was %s", m.payload(), dataById.get(m.id().toString())).isTrue();
        }
    }

    /**
     * A partly failed response ({@code FailedEntryCount} 1): a payload that is no JSON makes the
     * detail malformed; only that entry is refused, not retryably, and the others of the request
     * are acknowledged and delivered.
     */
    @Test
    void aMalformedEntryFailsAloneAndNotRetryablyInAPartlyFailedResponse() {
        Transport transport = open(Map.of());
        OutboxMessage good1 = message(aggregateType, "k-1", "{\"n\": 1}", Map.of());
        OutboxMessage bad = message(aggregateType, "k-2", "{not json", Map.of());
        OutboxMessage good2 = message(aggregateType, "k-3", "{\"n\": 3}", Map.of());

        List<SendResult> results = transport.send(List.of(good1, bad, good2));

        assertThat(results.get(0)).isEqualTo(SendResult.acknowledged(good1.id()));
        assertThat(results.get(1).eventId()).isEqualTo(bad.id());
        assertThat(results.get(1).failure().retryable()).isFalse();
        assertThat(results.get(1).failure().outage()).isFalse();
        assertThat(results.get(1).failure()).hasMessageContaining("MalformedDetail").hasMessageContaining(aggregateType);
        assertThat(results.get(2)).isEqualTo(SendResult.acknowledged(good2.id()));
        assertThat(awaitEnvelopes(queueUrl, 2)).extracting(e -> e.getJsonObject("detail").getString("id"))
                .containsExactlyInAnyOrder(good1.id().toString(), good2.id().toString());
    }

    /** A bus that does not exist refuses the request as a whole; only that bus' events fail, the others flow. */
    @Test
    void aMissingBusFailsOnlyItsEventsNotRetryably() {
        Transport transport = open(Map.of());
        String missing = aggregateType + "x";
        OutboxMessage lost1 = message(missing, "k-1", "{}", Map.of());
        OutboxMessage good = message(aggregateType, "k-2", "{}", Map.of());
        OutboxMessage lost2 = message(missing, "k-3", "{}", Map.of());

        List<SendResult> results = transport.send(List.of(lost1, good, lost2));

        for (int i : new int[] {0, 2}) {
            assertThat(results.get(i).failure()).isNotNull().satisfies(f -> {
                assertThat(f.retryable()).isFalse();
                assertThat(f.getMessage()).contains(missing, "ResourceNotFoundException");
            });
        }
        assertThat(results.get(1)).isEqualTo(SendResult.acknowledged(good.id()));
        assertThat(awaitEnvelopes(queueUrl, 1)).hasSize(1);
    }

    /**
     * An entry at or above the size limit fails before sending and not retryably; the entries
     * below it are split into requests of at most 10 entries and below 256 KB, and all arrive.
     */
    @Test
    void splitsRequestsByCountAndSizeAndRefusesAnEntryThatCanNeverFit() {
        Transport transport = open(Map.of());
        List<OutboxMessage> batch = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            batch.add(message(aggregateType, "small-" + i, "{\"n\": " + i + "}", Map.of()));
        }
        for (int i = 0; i < 5; i++) {
            // About 100 KB each: two fit in one request, three do not.
            batch.add(message(aggregateType, "big-" + i, "{\"pad\": \"" + "x".repeat(100_000) + "\"}", Map.of()));
        }
        OutboxMessage tooLarge = message(aggregateType, "huge", "{\"pad\": \"" + "x".repeat(262_144) + "\"}", Map.of());
        batch.add(tooLarge);

        List<SendResult> results = transport.send(batch);

        assertThat(results.subList(0, batch.size() - 1)).allMatch(SendResult::isAcknowledged);
        SendResult refused = results.get(batch.size() - 1);
        assertThat(refused.eventId()).isEqualTo(tooLarge.id());
        assertThat(refused.failure().retryable()).isFalse();
        assertThat(refused.failure()).hasMessageContaining("262144 bytes");
        assertThat(awaitEnvelopes(queueUrl, batch.size() - 1)).extracting(e -> e.getJsonObject("detail").getString("id"))
                .doesNotHaveDuplicates().doesNotContain(tooLarge.id().toString());
    }

    /**
     * An endpoint that stops answering before or during a batch (a proxy that stops forwarding)
     * is an outage: nothing is charged, what was accepted before the stall is acknowledged, and
     * after the stall everything is accepted.
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
        try (StallingProxy stalling = StallingProxy.to(moto.getHost(), moto.getPort())) {
            Transport transport = open(Map.of("OUTBOX_EVENTBRIDGE_ENDPOINT", "http://" + stalling.address(),
                    "OUTBOX_EVENTBRIDGE_TIMEOUT", "3s")); // moto needs ~0.5 s for 10 entries, more under load
            assertStallsBeforeAndDuringABatchAreOutages(transport, stalling, before, during, () -> { }, WAIT);
        }
    }

    private Transport open(Map<String, String> extra) {
        Transport transport = transport(extra);
        transports.add(transport);
        return transport;
    }

    /** The EventBridge events the queue got, once at least {@code count} arrived. */
    private List<JsonObject> awaitEnvelopes(String url, int count) {
        List<JsonObject> envelopes = new ArrayList<>();
        await(count + " events in queue " + url, WAIT, () -> {
            drain(url).forEach(m -> envelopes.add(parse(m.body())));
            return envelopes.size() >= count;
        });
        return envelopes;
    }

    private static OutboxMessage message(String aggregateType, String key, String payload, Map<String, String> headers) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, key, "ThingHappened", payload, headers,
                Instant.parse("2026-11-26T12:00:00.123Z"), 1);
    }

    private static JsonObject parse(String json) {
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            return reader.readObject();
        }
    }

    private static JsonValue parseValue(String json) {
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            return reader.readValue();
        }
    }

    /** The same JSON value, numbers compared by value ({@code 12.50} equals {@code 12.5}). */
    static boolean sameJson(JsonValue a, JsonValue b) {
        if (a instanceof JsonNumber x && b instanceof JsonNumber y) {
            return x.bigDecimalValue().compareTo(y.bigDecimalValue()) == 0;
        }
        if (a instanceof JsonObject x && b instanceof JsonObject y) {
            return x.keySet().equals(y.keySet()) && x.keySet().stream().allMatch(k -> sameJson(x.get(k), y.get(k)));
        }
        if (a instanceof jakarta.json.JsonArray x && b instanceof jakarta.json.JsonArray y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!sameJson(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a != null && a.equals(b);
    }
}
