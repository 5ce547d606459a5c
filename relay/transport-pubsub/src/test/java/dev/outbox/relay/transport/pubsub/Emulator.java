package dev.outbox.relay.transport.pubsub;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.NotFoundException;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.pubsub.v1.ProjectSubscriptionName;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.TopicName;
import dev.outbox.relay.testing.TransportContract.Received;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The test's own side of a Pub/Sub emulator, the shared one ({@code OUTBOX_TEST_PUBSUB_EMULATOR_HOST})
 * or a private one: topics and subscriptions made with the admin clients, subscribers reading
 * with Google's {@link Subscriber}, everything deleted by {@link #close()}.
 */
final class Emulator implements AutoCloseable {
    static final String HOST_ENV = "OUTBOX_TEST_PUBSUB_EMULATOR_HOST";
    static final String PROJECT = "outbox-test";

    private final String host;
    private final ManagedChannel channel;
    private final TransportChannelProvider channels;
    private final TopicAdminClient topics;
    private final SubscriptionAdminClient subscriptions;
    private final List<String> createdTopics = new ArrayList<>();
    private final List<String> createdSubscriptions = new ArrayList<>();
    private final List<Subscriber> subscribers = new ArrayList<>();

    /** The shared emulator. */
    Emulator() throws IOException {
        this(host());
    }

    /** The emulator at {@code host} ({@code 127.0.0.1:port}). */
    Emulator(String host) throws IOException {
        this.host = host;
        channel = ManagedChannelBuilder.forTarget(host).usePlaintext().build();
        channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
        topics = TopicAdminClient.create(TopicAdminSettings.newBuilder().setTransportChannelProvider(channels)
                .setCredentialsProvider(NoCredentialsProvider.create()).build());
        subscriptions = SubscriptionAdminClient.create(SubscriptionAdminSettings.newBuilder()
                .setTransportChannelProvider(channels).setCredentialsProvider(NoCredentialsProvider.create()).build());
    }

    static String host() {
        String value = System.getenv(HOST_ENV);
        if (value == null || value.isBlank()) {
            throw new AssertionError(HOST_ENV + " is not set: start the emulators with `bash .ci/emulators.sh start`"
                    + " (from the project root) and set " + HOST_ENV + "=127.0.0.1:8085");
        }
        return value.strip();
    }

    void createTopic(String topic) {
        topics.createTopic(TopicName.of(PROJECT, topic));
        createdTopics.add(topic);
    }

    /** A subscription of {@code topic} with message ordering enabled, read by a subscriber that acks everything. */
    void subscribe(String topic, Consumer<Received> received) {
        String name = topic + "-sub";
        ProjectSubscriptionName subscription = ProjectSubscriptionName.of(PROJECT, name);
        subscriptions.createSubscription(Subscription.newBuilder().setName(subscription.toString())
                .setTopic(TopicName.of(PROJECT, topic).toString()).setEnableMessageOrdering(true)
                .setAckDeadlineSeconds(60).build());
        createdSubscriptions.add(name);
        MessageReceiver receiver = (message, consumer) -> {
            received.accept(received(message));
            consumer.ack();
        };
        Subscriber subscriber = Subscriber.newBuilder(subscription, receiver).setChannelProvider(ownChannel()).setCredentialsProvider(NoCredentialsProvider.create()).build();
        subscriber.startAsync().awaitRunning();
        subscribers.add(subscriber);
    }

    /** A channel of its own: a subscriber shuts its channel down when it stops. */
    private TransportChannelProvider ownChannel() {
        return FixedTransportChannelProvider.create(GrpcTransportChannel.create(
                ManagedChannelBuilder.forTarget(host).usePlaintext().build()));
    }

    private static Received received(PubsubMessage m) {
        HashMap<String, String> headers = new HashMap<>(m.getAttributesMap());
        return new Received(m.getOrderingKey(), headers, m.getData().toByteArray());
    }

    @Override
    public void close() throws java.util.concurrent.TimeoutException {
        try {
            for (Subscriber s : subscribers) {
                try {
                    s.stopAsync().awaitTerminated(10, TimeUnit.SECONDS);
                } catch (IllegalStateException failed) {
                    // it failed before: its emulator was killed (EmulatorRestartIT)
                }
            }
            for (String s : createdSubscriptions) {
                ignoreMissing(() -> subscriptions.deleteSubscription(ProjectSubscriptionName.of(PROJECT, s).toString()));
            }
            for (String t : createdTopics) {
                ignoreMissing(() -> topics.deleteTopic(TopicName.of(PROJECT, t)));
            }
        } finally {
            subscriptions.close();
            topics.close();
            channel.shutdownNow();
        }
    }

    private static void ignoreMissing(Runnable delete) {
        try {
            delete.run();
        } catch (NotFoundException e) {
            // already gone
        }
    }
}
