package dev.outbox.bench.cloud;

import dev.outbox.bench.EventSpec;
import dev.outbox.bench.Target;
import dev.outbox.bench.KeyPipeline;
import dev.outbox.bench.Machine;
import dev.outbox.bench.Measurement;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.eventbridge.EventBridgeEntries;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;

/**
 * EventBridge on moto, a bus of its own per run (no rule: throughput ends at PutEvents). By hand:
 * the transport's client set-up, its own entry mapping ({@link EventBridgeEntries}), PutEvents of
 * 10 entries, one request at a time as the transport sends them (so a key's events go in order).
 */
final class EventBridgeTarget implements Target {
    private static final int ENTRIES = EventBridgeEntries.MAX_ENTRIES_PER_REQUEST;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final String endpoint;
    private final EventSpec events;
    private final EventBridgeClient admin;

    EventBridgeTarget(String endpoint, EventSpec events) {
        this.endpoint = endpoint;
        this.events = events;
        this.admin = client();
    }

    private EventBridgeClient client() {
        return EventBridgeClient.builder().endpointOverride(URI.create(endpoint)).region(Region.of(Aws.REGION))
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(TIMEOUT).socketTimeout(TIMEOUT))
                .overrideConfiguration(c -> c.apiCallTimeout(TIMEOUT).retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    @Override
    public String label() {
        return "eventbridge, custom bus";
    }

    @Override
    public String transport() {
        return "eventbridge";
    }

    @Override
    public EventSpec events() {
        return events;
    }

    @Override
    public void create(String bus) {
        admin.createEventBus(b -> b.name(bus));
    }

    @Override
    public void delete(String bus) {
        try {
            admin.deleteEventBus(b -> b.name(bus));
        } catch (SdkException gone) {
            // never created
        }
    }

    @Override
    public Map<String, String> transportEnv(String bus) {
        return Map.of("OUTBOX_EVENTBRIDGE_ENDPOINT", endpoint, "OUTBOX_EVENTBRIDGE_REGION", Aws.REGION,
                "OUTBOX_ROUTE_DEFAULT", bus);
    }

    @Override
    public Measurement byHand(String bus, List<OutboxMessage> messages) throws Exception {
        AtomicInteger retries = new AtomicInteger();
        try (EventBridgeClient client = client()) {
            long start = System.nanoTime();
            KeyPipeline.run(messages, ENTRIES, 1, batch -> {
                List<PutEventsRequestEntry> entries = batch.stream()
                        .map(m -> EventBridgeEntries.of(m, CloudEvent.DEFAULT_SOURCE, bus)).toList();
                PutEventsResponse r = Aws.retried(retries, () -> client.putEvents(b -> b.entries(entries)));
                if (r.failedEntryCount() != null && r.failedEntryCount() > 0 || r.entries().size() != entries.size()) {
                    throw new IllegalStateException("EventBridge refused " + r.failedEntryCount() + " entries: " + r.entries());
                }
            });
            return Aws.noted(Measurement.of(messages.size(), start, System.nanoTime()), retries);
        }
    }

    @Override
    public String handDescription() {
        return "`EventBridgeClient.putEvents`, " + ENTRIES + " entries per request, one request at a time (as the"
                + " transport); same client set-up and entries as the transport";
    }

    @Override
    public Map<String, String> settings() {
        return Map.of("AWS SDK", Machine.versionOf(EventBridgeClient.class));
    }

    @Override
    public void close() {
        admin.close();
    }
}
