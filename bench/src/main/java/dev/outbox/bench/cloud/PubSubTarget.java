package dev.outbox.bench.cloud;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.NotFoundException;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import dev.outbox.bench.EventSpec;
import dev.outbox.bench.Target;
import dev.outbox.bench.Machine;
import dev.outbox.bench.Measurement;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Pub/Sub on Google's emulator, a topic of its own per run (no subscription: throughput ends at
 * the publish). By hand: one {@link Publisher} with message ordering on, the transport's batching
 * (100 messages, 1 MB, 1 ms delay), retry settings and executor size, the same messages (data,
 * CloudEvents attributes, ordering key {@code aggregatetype/aggregateid}), all published at once
 * and awaited together: the client itself keeps each key's order.
 */
final class PubSubTarget implements Target {
    static final String PROJECT = "outbox-test";
    /** As the transport's {@code PubSubSettings.BATCHING} (package-private there). */
    private static final BatchingSettings BATCHING = BatchingSettings.newBuilder().setElementCountThreshold(100L)
            .setRequestByteThreshold(1_000_000L).setDelayThresholdDuration(Duration.ofMillis(1)).build();
    /** As the transport's retry settings with its default timeout of 25 s. */
    private static final RetrySettings RETRIES = RetrySettings.newBuilder().setTotalTimeoutDuration(Duration.ofSeconds(25))
            .setInitialRpcTimeoutDuration(Duration.ofSeconds(25)).setMaxRpcTimeoutDuration(Duration.ofSeconds(25))
            .setRpcTimeoutMultiplier(1.0).setInitialRetryDelayDuration(Duration.ofMillis(20)).setRetryDelayMultiplier(2.0)
            .setMaxRetryDelayDuration(Duration.ofSeconds(1)).build();

    private final String emulator;
    private final EventSpec events;
    private final ManagedChannel adminChannel;
    private final TopicAdminClient topics;

    PubSubTarget(String emulator, EventSpec events) throws IOException {
        this.emulator = emulator;
        this.events = events;
        this.adminChannel = ManagedChannelBuilder.forTarget(emulator).usePlaintext().build();
        this.topics = TopicAdminClient.create(TopicAdminSettings.newBuilder()
                .setTransportChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(adminChannel)))
                .setCredentialsProvider(NoCredentialsProvider.create()).build());
    }

    @Override
    public String label() {
        return "pubsub, ordering keys";
    }

    @Override
    public String transport() {
        return "pubsub";
    }

    @Override
    public EventSpec events() {
        return events;
    }

    @Override
    public void create(String topic) {
        topics.createTopic(TopicName.of(PROJECT, topic));
    }

    @Override
    public void delete(String topic) {
        try {
            topics.deleteTopic(TopicName.of(PROJECT, topic));
        } catch (NotFoundException gone) {
            // never created
        }
    }

    @Override
    public Map<String, String> transportEnv(String topic) {
        return Map.of("OUTBOX_PUBSUB_PROJECT", PROJECT, "OUTBOX_PUBSUB_ENDPOINT", emulator, "OUTBOX_ROUTE_DEFAULT", topic);
    }

    @Override
    public Measurement byHand(String topic, List<OutboxMessage> messages) throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forTarget(emulator).usePlaintext().build();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(
                Math.max(4, Runtime.getRuntime().availableProcessors()));
        TransportChannelProvider channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
        try {
            long start = System.nanoTime();
            Publisher publisher = Publisher.newBuilder(TopicName.of(PROJECT, topic).toString())
                    .setEnableMessageOrdering(true).setBatchingSettings(BATCHING).setRetrySettings(RETRIES)
                    .setExecutorProvider(FixedExecutorProvider.create(executor)).setChannelProvider(channels)
                    .setCredentialsProvider(NoCredentialsProvider.create()).build();
            List<ApiFuture<String>> acks = new ArrayList<>(messages.size());
            for (OutboxMessage m : messages) {
                acks.add(publisher.publish(message(m)));
            }
            List<String> ids = ApiFutures.allAsList(acks).get(5, TimeUnit.MINUTES);
            long end = System.nanoTime();
            publisher.shutdown();
            publisher.awaitTermination(10, TimeUnit.SECONDS);
            if (ids.size() != messages.size()) {
                throw new IllegalStateException(ids.size() + " message ids for " + messages.size() + " messages");
            }
            return Measurement.of(messages.size(), start, end);
        } finally {
            channel.shutdownNow();
            executor.shutdownNow();
        }
    }

    /** The transport's message: data = payload, attributes by the CloudEvents Pub/Sub binding, ordering key. */
    static PubsubMessage message(OutboxMessage m) {
        CloudEvent event = CloudEvent.of(m, CloudEvent.DEFAULT_SOURCE);
        Map<String, String> attributes = new LinkedHashMap<>();
        event.attributes().forEach((name, value) -> attributes.put(
                name.equals("datacontenttype") ? "content-type" : "ce-" + name, value));
        event.otherHeaders().forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!lower.startsWith("ce-") && !lower.equals("content-type") && !lower.startsWith("goog")) {
                attributes.put(name, value);
            }
        });
        return PubsubMessage.newBuilder().setData(ByteString.copyFrom(event.dataBytes())).putAllAttributes(attributes)
                .setOrderingKey(m.aggregateType() + "/" + m.aggregateId()).build();
    }

    @Override
    public String handDescription() {
        return "one `Publisher` with message ordering, the transport's batching (100 messages, 1 MB, 1 ms delay) and"
                + " retry settings, every event published at once and awaited together (the client keeps each key's"
                + " order); same data, attributes and ordering keys as the transport";
    }

    @Override
    public Map<String, String> settings() {
        return Map.of("google-cloud-pubsub", Machine.versionOf(Publisher.class));
    }

    @Override
    public void close() {
        topics.close();
        adminChannel.shutdownNow();
    }
}
