package dev.outbox.relay.transport.pubsub;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Durations;
import dev.outbox.relay.config.Naming;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.spi.Acks;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.transport.TransportBuilder;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The {@code pubsub} transport: publishes every event as one Google Cloud Pub/Sub message with
 * Google's client ({@link Publisher}), message ordering enabled. Created by
 * {@link PubSubTransportFactory}; called by the relay with whole batches, several events per
 * ordering key in write order ({@link #keepsOrderWithinBatch}). Embedders build one with
 * {@link #builder()}.
 *
 * <p><b>On the wire.</b> Topic = {@code Router.destination} (default {@code ${aggregatetype}}), a
 * topic id in {@code OUTBOX_PUBSUB_PROJECT} or a full {@code projects/p/topics/t} name; one
 * publisher per topic, created when the topic is first used and kept until {@link #close};
 * ordering key = {@code aggregatetype/aggregateid}, so Pub/Sub delivers a key's events in order
 * to subscriptions with message ordering enabled; data = the payload's bytes; attributes =
 * CloudEvents Pub/Sub binding ({@link PubSubMessages}).
 *
 * <p><b>Acknowledged</b> means Pub/Sub answered the publish with a message id: it stored the
 * message. A batch is handed to the publishers without waiting and the answers are awaited
 * once, at most {@code OUTBOX_PUBSUB_TIMEOUT}; the client retries what can pass within that time.
 *
 * <p><b>Failures.</b> Only an answer of Pub/Sub about a message is charged to its event.
 * <ul>
 *   <li>Permanent: no route, a name that is not a valid topic, a message larger than 10 MB
 *       (checked before publishing), NOT_FOUND (the topic does not exist), INVALID_ARGUMENT
 *       (too large, bad attributes or ordering key), PERMISSION_DENIED, FAILED_PRECONDITION.</li>
 *   <li>Outage, per event (not charged): no answer within {@code OUTBOX_PUBSUB_TIMEOUT},
 *       DEADLINE_EXCEEDED, UNAVAILABLE (endpoint unreachable, connection lost), UNAUTHENTICATED
 *       (about these credentials, not this event), the transport was closed.</li>
 *   <li>The whole batch, thrown: every message handed to Pub/Sub failed as an outage; also when
 *       the relay interrupts the call.</li>
 *   <li>Retryable, per event: RESOURCE_EXHAUSTED, INTERNAL, ABORTED and any other answer.</li>
 * </ul>
 *
 * <p><b>Paused ordering keys.</b> When a publish with an ordering key fails, the client pauses
 * that key: it fails every later publish of it at once until {@link Publisher#resumePublish} is
 * called, so that a later event never overtakes one that failed. This transport remembers the
 * failed keys and resumes a key only for the first event of that key in a later {@code send},
 * that is when the relay retries that key (the retried event is then the first of its key
 * again); it never resumes a key on its own, nor for a later event of the call in which an
 * earlier one of its key failed.
 *
 * <p><b>Connections.</b> With {@code OUTBOX_PUBSUB_ENDPOINT} every publisher shares one plaintext
 * gRPC channel without credentials; after an outage the next {@code send} resets the channel's
 * reconnect backoff (gRPC otherwise waits up to two minutes between connection attempts), so a
 * reachable endpoint is used at once. Without it each publisher connects to Google's endpoint
 * with Application Default Credentials and reconnects by gRPC's own backoff.
 */
public final class PubSubTransport implements Transport {
    /** Pub/Sub's rule for topic ids; {@code goog} prefixes are reserved. */
    private static final Pattern TOPIC_ID = Pattern.compile("(?!goog)[A-Za-z][A-Za-z0-9._~+%-]{2,254}");
    /**
     * Longest wait of {@link #close} for the publishers to finish publishes in flight. A stalled
     * endpoint must not hold up the relay's shutdown: whatever is not acknowledged by then stays
     * unmarked and is sent again by the next relay.
     */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

    private final PubSubSettings settings;
    /** The emulator's channel, shared by every publisher; {@code null} for Google's endpoint. */
    private final ManagedChannel channel;
    private final ScheduledExecutorService executor;
    private final BatchingSettings batching;
    private final Map<String, Publisher> publishers = new ConcurrentHashMap<>();
    /** Ordering keys (per topic) the client paused after a failed publish: resumed when the relay retries them. */
    private final Set<TopicKey> paused = ConcurrentHashMap.newKeySet();
    private volatile boolean outageSeen;
    private volatile boolean closed;

    private record TopicKey(String topic, String key) {
    }

    private PubSubTransport(PubSubSettings settings, BatchingSettings batching) {
        this.settings = settings;
        this.batching = batching;
        this.channel = settings.endpoint() == null ? null
                : ManagedChannelBuilder.forTarget(settings.endpoint()).usePlaintext().build();
        AtomicInteger threads = new AtomicInteger();
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(
                Math.max(4, Runtime.getRuntime().availableProcessors()), r -> {
                    Thread t = new Thread(r, "outbox-pubsub-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.setRemoveOnCancelPolicy(true);
        this.executor = pool;
    }

    /**
     * A builder for embedders, e.g.
     * {@code PubSubTransport.builder().project("my-project").routes("Order=orders").build()}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates the transport from validated values. Does not connect: an endpoint that is down at
     * start-up is retried like any outage.
     *
     * @param naming how messages name the settings: as the user wrote them
     */
    static PubSubTransport create(ConfigValues values, Naming naming) {
        return create(values, naming, PubSubSettings.BATCHING);
    }

    /** With other batching than {@link PubSubSettings#BATCHING}: for measuring the choice. */
    static PubSubTransport create(ConfigValues values, Naming naming, BatchingSettings batching) {
        return new PubSubTransport(PubSubSettings.from(values, naming), batching);
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        if (closed) {
            throw TransportException.outage("the Pub/Sub transport is closed", null);
        }
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        if (outageSeen && channel != null) {
            outageSeen = false;
            channel.resetConnectBackoff();
        }
        SendResult[] results = new SendResult[batch.size()];
        String[] topicOf = new String[batch.size()];
        TopicKey[] keyOf = new TopicKey[batch.size()];
        List<ApiFuture<String>> acks = new ArrayList<>(batch.size());
        Set<TopicKey> seen = new HashSet<>();
        for (int i = 0; i < batch.size(); i++) {
            acks.add(null);
            OutboxMessage m = batch.get(i);
            String topic;
            try {
                topic = topicName(settings.router().destination(m));
            } catch (OutboxException e) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent(e.getMessage(), e));
                continue;
            }
            PubsubMessage message = PubSubMessages.of(m, settings.source());
            int size = PubSubMessages.size(message);
            if (size > PubSubMessages.MAX_MESSAGE_BYTES) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent("the message is " + size
                        + " bytes of data, attributes and ordering key, more than Pub/Sub accepts ("
                        + PubSubMessages.MAX_MESSAGE_BYTES + " bytes): make the event smaller", null));
                continue;
            }
            Publisher publisher = publisher(topic);
            TopicKey key = new TopicKey(topic, message.getOrderingKey());
            // Only a key's first event in this call may resume it: a key that fails during this
            // call stays paused, so none of its later events overtakes the failed one.
            if (seen.add(key) && paused.remove(key)) {
                publisher.resumePublish(key.key()); // the relay retries this key: its failed event comes first
            }
            ApiFuture<String> ack = publisher.publish(message);
            ApiFutures.addCallback(ack, new ApiFutureCallback<>() {
                @Override
                public void onFailure(Throwable t) {
                    paused.add(key); // also for a publish that fails after send() stopped waiting for it
                }

                @Override
                public void onSuccess(String id) {
                }
            }, MoreExecutors.directExecutor());
            topicOf[i] = topic;
            keyOf[i] = key;
            acks.set(i, ack);
        }
        return awaitAcks(batch, results, topicOf, keyOf, acks, deadline);
    }

    private List<SendResult> awaitAcks(List<OutboxMessage> batch, SendResult[] results, String[] topicOf,
                                       TopicKey[] keyOf, List<ApiFuture<String>> acks, long deadline) {
        List<Acks.Ack<String>> outcomes;
        try {
            outcomes = Acks.awaitAll(acks, deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outageSeen = true;
            throw TransportException.outage("interrupted while waiting for Pub/Sub's answers", copy(e));
        }
        List<SendResult> sent = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Acks.Ack<String> ack = outcomes.get(i);
            if (ack == null) {
                continue;
            }
            OutboxMessage m = batch.get(i);
            if (ack.pending()) {
                results[i] = SendResult.failed(m.id(), TransportException.outage("Pub/Sub did not answer the publish"
                        + " to " + topicOf[i] + " within " + Durations.format(settings.timeout()) + " ("
                        + settings.name(PubSubSettings.TIMEOUT) + ")", null));
            } else if (ack.failure() != null) {
                // Also done by the future's callback, which may run only after this wait returned.
                paused.add(keyOf[i]);
                results[i] = SendResult.failed(m.id(), failure(topicOf[i], ack.failure()));
            } else {
                results[i] = SendResult.acknowledged(m.id());
            }
            if (results[i].failure() != null && results[i].failure().outage()) {
                outageSeen = true;
            }
            sent.add(results[i]);
        }
        SendResult.wholeBatchFailure(sent, TransportException::outage).ifPresent(silence -> {
            throw silence; // Pub/Sub answered none of it: the whole batch, not each event
        });
        return Arrays.asList(results);
    }

    /**
     * Maps a failed publish by its gRPC status: permanent only when Pub/Sub will always refuse the
     * message, an outage when it said nothing about it.
     */
    private TransportException failure(String topic, Throwable cause) {
        if (closed) {
            return TransportException.outage("the transport was closed before Pub/Sub answered: " + text(cause),
                    copy(cause));
        }
        if (cause instanceof CancellationException) {
            // The client paused the key after an earlier publish of it failed; nothing Pub/Sub said.
            return TransportException.outage("the Pub/Sub client held the publish back after an earlier failure"
                    + " of its ordering key: " + text(cause), copy(cause));
        }
        if (!(cause instanceof ApiException api)) {
            return TransportException.retryable("publishing to " + topic + " failed: " + text(cause), copy(cause));
        }
        StatusCode.Code code = api.getStatusCode().getCode();
        String answer = "Pub/Sub answered " + code + " for topic " + topic + ": " + text(cause);
        return switch (code) {
            case NOT_FOUND -> TransportException.permanent("topic " + topic + " does not exist (create it, or route"
                    + " the events elsewhere): " + text(cause), copy(cause));
            case INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE, UNIMPLEMENTED ->
                    TransportException.permanent(answer, copy(cause));
            case DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED -> TransportException.outage("Pub/Sub did not answer"
                    + " the publish to " + topic + " within " + Durations.format(settings.timeout()) + " ("
                    + settings.name(PubSubSettings.TIMEOUT) + "): " + code + " " + text(cause), copy(cause));
            // About these credentials, not this event: every event would fail alike until an operator acts.
            case UNAUTHENTICATED -> TransportException.outage(answer, copy(cause));
            default -> TransportException.retryable(answer, copy(cause));
        };
    }

    /**
     * The full topic name of a route: a topic id in the configured project, or a full
     * {@code projects/p/topics/t} name.
     *
     * @throws OutboxException if it is neither
     */
    private String topicName(String route) {
        if (TopicName.isParsableFrom(route)) {
            TopicName name = TopicName.parse(route);
            if (TOPIC_ID.matcher(name.getTopic()).matches()) {
                return route;
            }
        } else if (TOPIC_ID.matcher(route).matches()) {
            return TopicName.of(settings.project(), route).toString();
        }
        throw new OutboxException("\"" + route + "\" is not a valid Pub/Sub topic (3-255 of A-Z, a-z, 0-9, '-', '_',"
                + " '.', '~', '+', '%', starting with a letter, not with goog; or projects/<project>/topics/<topic>)");
    }

    /**
     * The topic's publisher, created on first use.
     *
     * @throws TransportException (an outage of the whole batch) if the client cannot be created,
     *         e.g. no Application Default Credentials are found
     */
    private Publisher publisher(String topic) {
        Publisher existing = publishers.get(topic);
        if (existing != null) {
            return existing;
        }
        Publisher.Builder builder = Publisher.newBuilder(topic)
                .setEnableMessageOrdering(true)
                .setBatchingSettings(batching)
                .setRetrySettings(settings.retrySettings())
                .setExecutorProvider(FixedExecutorProvider.create(executor));
        if (channel != null) {
            builder.setChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
                    .setCredentialsProvider(NoCredentialsProvider.create());
        }
        try {
            Publisher created = builder.build();
            publishers.put(topic, created);
            return created;
        } catch (IOException | RuntimeException e) {
            throw TransportException.outage("cannot create the Pub/Sub publisher of topic " + topic
                    + (channel == null ? " (Application Default Credentials)" : "") + ": " + text(e), copy(e));
        }
    }

    private static String text(Throwable t) {
        return t == null ? "null" : t.getMessage() == null ? t.getClass().getName() : Redaction.credentials(t.getMessage());
    }

    private static Throwable copy(Throwable t) {
        return Redaction.copy(t, Redaction::credentials);
    }

    /**
     * Shuts the publishers down, waiting at most {@link #CLOSE_TIMEOUT} for publishes in flight,
     * then the channel and the threads. {@link Publisher#shutdown} blocks until every outstanding
     * publish is answered (retries included), so it runs on threads of its own that are left
     * behind, as daemons, when the endpoint does not answer in time.
     */
    /**
     * Yes: with message ordering the client publishes a key's messages in the order given, one
     * request of a key at a time, and after a failed one fails the key's later messages at once
     * until it is resumed (by the relay's retry), so none is stored behind a gap.
     */
    @Override
    public boolean keepsOrderWithinBatch() {
        return true;
    }

    /** OpenTelemetry's {@code messaging.system} value for this broker. */
    @Override
    public String system() {
        return "gcp_pubsub";
    }

    /** The topic the event's route names; {@code null} when none does. */
    @Override
    public String destination(OutboxMessage message) {
        return settings.router().destinationIfRoutable(message);
    }

    @Override
    public void close() {
        closed = true;
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        try {
            List<Thread> shutdowns = new ArrayList<>();
            for (Publisher p : publishers.values()) {
                Thread t = new Thread(p::shutdown, "outbox-pubsub-close");
                t.setDaemon(true);
                t.start();
                shutdowns.add(t);
            }
            for (Thread t : shutdowns) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (channel != null) {
                channel.shutdownNow();
            }
            executor.shutdownNow();
        }
    }

    /**
     * Builds a {@code pubsub} transport in code, with the settings the sidecar reads from
     * {@code OUTBOX_PUBSUB_*} (the same declarations: {@link PubSubTransportFactory#config()}). Each
     * setter checks its value at once and throws an {@link OutboxException} naming the property,
     * the rule and the value; unset settings keep their defaults. {@link #build()} checks that the
     * required {@link #project} is set and creates the transport as the factory does, without
     * connecting. Not thread-safe; each {@code build()} creates a new transport, which the caller
     * closes.
     */
    public static final class Builder extends TransportBuilder<Builder> {
        private Builder() {
            super(PubSubSettings.MODEL, PubSubSettings.ROUTE_DEFAULT);
        }

        /** The Google Cloud project of the topics (required). */
        public Builder project(String project) {
            return set(PubSubSettings.PROJECT, project);
        }

        /**
         * An emulator's {@code host:port}, reached in plaintext without credentials; unset (default):
         * Google's endpoint with Application Default Credentials.
         */
        public Builder endpoint(String hostPort) {
            return set(PubSubSettings.ENDPOINT, hostPort);
        }

        /** Longest wait for a batch's publishes, retries included (default 25s), 1s to 10m; below the relay's send timeout. */
        public Builder timeout(Duration timeout) {
            return set(PubSubSettings.TIMEOUT, timeout);
        }

        /**
         * @return a new transport; it connects when it first sends
         * @throws OutboxException naming the property if a required setting is missing
         */
        @Override
        public Transport build() {
            return create(values.build(), Naming.PROPERTY);
        }
    }
}
