package dev.outbox.relay.transport.kafka;

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
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import dev.outbox.relay.transport.TransportBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.BrokerNotAvailableException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.DisconnectException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The {@code kafka} transport: publishes every event as one record with an idempotent producer
 * ({@code enable.idempotence=true}, {@code acks=all}, at most 5 requests in flight). Created by
 * {@link KafkaTransportFactory}; called by the relay with whole batches, several events per key in
 * write order ({@link #keepsOrderWithinBatch}). Embedders build one with {@link #builder()}.
 *
 * <p><b>On the wire.</b> Topic = {@code Router.destination} (default {@code ${aggregatetype}});
 * key = the aggregate id (UTF-8), so all events of a key land in one partition, in order; value =
 * the payload's bytes unchanged; headers = CloudEvents Kafka binding, binary mode
 * ({@link KafkaHeaders}).
 *
 * <p><b>Acknowledged</b> means the partition leader answered the produce request with success
 * after every in-sync replica appended the record ({@code acks=all}). A batch is sent record by
 * record without waiting (the producer pipelines them) and the acknowledgements are awaited
 * once, at most {@code OUTBOX_KAFKA_ACK_TIMEOUT}.
 *
 * <p><b>Failures.</b> Only an answer of the cluster about a record is charged to its event; a
 * cluster that does not answer is an outage ({@link TransportException#outage}).
 * <ul>
 *   <li>Permanent (the event goes dead after its non-retryable attempts): no route, a name that
 *       is not a valid topic, a topic that does not exist (confirmed by the cluster: the
 *       producer itself cannot tell a missing topic from an unreachable cluster), writing to it
 *       is not authorized, the record is larger than {@code OUTBOX_KAFKA_MAX_REQUEST_SIZE} or
 *       than the broker accepts (the message names the limit and the record's size), the broker
 *       rejects the record as invalid.</li>
 *   <li>Outage, per event (not charged): no acknowledgement within {@code OUTBOX_KAFKA_ACK_TIMEOUT}
 *       or the producer's delivery timeout, the connection was lost, no metadata for a topic that
 *       exists (the cluster stalled), authentication or cluster authorization fails (nothing
 *       about this event), the transport was closed. The relay pauses on it as on a thrown
 *       failure.</li>
 *   <li>The whole batch, thrown: the cluster does not answer at all, or acknowledges none of the
 *       records it was handed and says nothing about them (every one an outage as above); also
 *       when the relay interrupts the call.</li>
 *   <li>Retryable, per event: any other answer of the broker that can pass (not enough replicas,
 *       not the leader, storage trouble).</li>
 * </ul>
 * The producer reconnects by itself; after an outage the next batch goes through the same
 * producer, which also keeps per-partition order for records it still held from before.
 */
public final class KafkaTransport implements Transport {
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    /**
     * Longest wait of {@link #close} for the producer to finish requests in flight; the admin client
     * is closed without waiting. A stalled cluster must not hold up the relay's shutdown: whatever
     * is not acknowledged by then stays unmarked and is sent again by the next relay.
     */
    static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

    private final KafkaSettings settings;
    private final Producer<byte[], byte[]> producer;
    private final Admin admin;
    private final TopicCheck topics;
    /** Masks the properties file's values (SASL/TLS secrets) in client texts. */
    private final UnaryOperator<String> scrub;
    /** Set by {@link #close}: records it abandons fail for that reason, not for anything the cluster said. */
    private volatile boolean closed;

    KafkaTransport(KafkaSettings settings, Producer<byte[], byte[]> producer, Admin admin) {
        this.settings = settings;
        this.producer = producer;
        this.admin = admin;
        this.topics = new TopicCheck(admin, settings.maxBlock(), System::nanoTime);
        this.scrub = settings.scrubber();
    }

    /**
     * A builder for embedders, e.g.
     * {@code KafkaTransport.builder().bootstrapServers("127.0.0.1:9092").routes("Order=orders").build()}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates the transport from validated values: reads the properties file, then sets up the
     * producer and the admin client. Does not connect: a broker that is down at start-up is
     * retried like any outage.
     *
     * @param naming how messages name the settings: as the user wrote them
     * @throws OutboxException naming the key, the rule and the value if the properties file is
     *         invalid or the Kafka client rejects the configuration (values of the properties
     *         file are replaced by {@code ****})
     */
    static KafkaTransport create(ConfigValues values, Naming naming) {
        KafkaSettings settings = KafkaSettings.from(values, naming);
        Producer<byte[], byte[]> producer;
        try {
            producer = new KafkaProducer<>(settings.producerProperties());
        } catch (KafkaException e) {
            throw new OutboxException("the Kafka producer rejects its configuration ("
                    + settings.name(KafkaSettings.BOOTSTRAP_SERVERS) + ", "
                    + settings.name(KafkaSettings.PROPERTIES_FILE) + "): " + redact(settings, e),
                    Redaction.copy(e, settings.scrubber()));
        }
        try {
            return new KafkaTransport(settings, producer, Admin.create(settings.adminProperties()));
        } catch (KafkaException e) {
            producer.close(Duration.ZERO);
            throw new OutboxException("the Kafka admin client rejects its configuration ("
                    + settings.name(KafkaSettings.PROPERTIES_FILE) + "): " + redact(settings, e),
                    Redaction.copy(e, settings.scrubber()));
        }
    }

    /** The exception's messages (with causes') without any value of the properties file. */
    private static String redact(KafkaSettings settings, Throwable e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 2000; t = t.getCause()) {
            text.append(text.length() == 0 ? "" : ": ").append(t.getMessage());
        }
        return settings.scrubber().apply(text.toString());
    }

    /** A client exception's message without secrets, or its class name when it has none. */
    private String text(Throwable t) {
        return t == null ? "null" : t.getMessage() == null ? t.getClass().getName() : scrub.apply(t.getMessage());
    }

    /** A copy of a client exception whose messages went through {@link #scrub}, to be a cause. */
    private Throwable copy(Throwable t) {
        return Redaction.copy(t, scrub);
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        long deadline = System.nanoTime() + settings.ackTimeout().toNanos();
        SendResult[] results = new SendResult[batch.size()];
        String[] topicOf = new String[batch.size()];
        Map<String, List<Integer>> byTopic = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            OutboxMessage m = batch.get(i);
            String topic;
            try {
                topic = settings.router().destination(m);
            } catch (OutboxException e) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent(e.getMessage(), e));
                continue;
            }
            if (!TOPIC_NAME.matcher(topic).matches()) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent("\"" + topic
                        + "\" is not a valid Kafka topic name (1-249 of a-z, A-Z, 0-9, '.', '_', '-'): route "
                        + m.aggregateType() + " elsewhere", null));
                continue;
            }
            topicOf[i] = topic;
            byTopic.computeIfAbsent(topic, t -> new ArrayList<>()).add(i);
        }

        byTopic.forEach((topic, indexes) -> {
            TransportException problem = topicProblem(topic);
            if (problem != null) {
                for (int i : indexes) {
                    results[i] = SendResult.failed(batch.get(i).id(), problem);
                    topicOf[i] = null;
                }
            }
        });

        List<Future<RecordMetadata>> acks = new ArrayList<>(batch.size());
        try {
            for (int i = 0; i < batch.size(); i++) {
                acks.add(topicOf[i] == null ? null : producer.send(record(topicOf[i], batch.get(i))));
            }
        } catch (InterruptException e) {
            throw TransportException.outage("interrupted while handing events to the Kafka producer", copy(e));
        } catch (KafkaException | IllegalStateException e) {
            // Metadata wait over, producer closed or fenced: nothing the cluster said about an event.
            throw TransportException.outage("the Kafka producer refused the batch: " + text(e), copy(e));
        }
        return awaitAcks(batch, results, topicOf, acks, deadline);
    }

    private List<SendResult> awaitAcks(List<OutboxMessage> batch, SendResult[] results, String[] topicOf,
                                       List<Future<RecordMetadata>> acks, long deadline) {
        List<Acks.Ack<RecordMetadata>> outcomes;
        try {
            outcomes = Acks.awaitAll(acks, deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TransportException.outage("interrupted while waiting for Kafka's acknowledgements", copy(e));
        }
        List<SendResult> sent = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Acks.Ack<RecordMetadata> ack = outcomes.get(i);
            if (ack == null) {
                continue;
            }
            OutboxMessage m = batch.get(i);
            if (ack.pending()) {
                results[i] = SendResult.failed(m.id(), TransportException.outage("Kafka did not acknowledge the event"
                        + " within " + Durations.format(settings.ackTimeout()) + " ("
                        + settings.name(KafkaSettings.ACK_TIMEOUT) + ")", null));
            } else if (ack.failure() != null) {
                results[i] = SendResult.failed(m.id(), failure(topicOf[i], m, ack.failure()));
            } else {
                results[i] = SendResult.acknowledged(m.id());
            }
            sent.add(results[i]);
        }
        SendResult.wholeBatchFailure(sent, TransportException::outage).ifPresent(silence -> {
            throw silence; // the cluster acknowledged none of it: the whole batch, not each event
        });
        return Arrays.asList(results);
    }

    /**
     * Makes sure the producer has the topic's metadata (blocking at most
     * {@code OUTBOX_KAFKA_MAX_BLOCK}, once per topic and batch) so that sending does not block
     * per record; returns why its events fail, or {@code null}.
     *
     * @throws TransportException if the cluster does not answer: the whole batch fails
     */
    private TransportException topicProblem(String topic) {
        TopicCheck.Answer known = topics.cached(topic);
        if (known != null) {
            return answerProblem(topic, known);
        }
        try {
            producer.partitionsFor(topic);
            return null;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            return answerProblem(topic, ask(topic));
        } catch (TopicAuthorizationException | InvalidTopicException e) {
            return TransportException.permanent("Kafka refuses topic " + topic + ": " + text(e), copy(e));
        } catch (InterruptException e) {
            throw TransportException.outage("interrupted while fetching the metadata of topic " + topic, copy(e));
        } catch (KafkaException e) {
            throw TransportException.outage("cannot get the metadata of topic " + topic + " from Kafka at "
                    + settings.bootstrapServers() + ": " + text(e), copy(e));
        }
    }

    private TopicCheck.Answer ask(String topic) {
        try {
            return topics.check(topic);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TransportException.outage("interrupted while asking Kafka whether topic " + topic + " exists",
                    copy(e));
        }
    }

    private TransportException answerProblem(String topic, TopicCheck.Answer answer) {
        return switch (answer.state()) {
            case MISSING -> TransportException.permanent("topic " + topic + " does not exist in the Kafka cluster"
                    + " (create it, or route the events elsewhere)", copy(answer.cause()));
            case FORBIDDEN -> TransportException.permanent("not authorized to write to or describe topic " + topic
                    + ": " + text(answer.cause()), copy(answer.cause()));
            // The cluster answered the admin client but not the producer in time: it stalled.
            case EXISTS -> TransportException.outage("topic " + topic + " exists but the producer got no metadata"
                    + " for it within " + Durations.format(settings.maxBlock()) + " ("
                    + settings.name(KafkaSettings.MAX_BLOCK) + ")", null);
            case UNREACHABLE -> throw TransportException.outage("the Kafka cluster at " + settings.bootstrapServers()
                    + " does not answer (" + text(answer.cause()) + ")", copy(answer.cause()));
        };
    }

    /**
     * Maps a failed acknowledgement: permanent only when the broker will always refuse the record,
     * an outage when the cluster said nothing about it.
     */
    private TransportException failure(String topic, OutboxMessage m, Throwable cause) {
        String message = "Kafka rejected the event: " + text(cause);
        if (cause instanceof RecordTooLargeException || cause instanceof RecordBatchTooLargeException) {
            return TransportException.permanent(tooLarge(cause, m), copy(cause));
        }
        if (cause instanceof InvalidTopicException || cause instanceof InvalidRecordException
                || cause instanceof TopicAuthorizationException) {
            return TransportException.permanent(message, copy(cause));
        }
        if (isSilence(cause) || closed) {
            return TransportException.outage("Kafka did not acknowledge the event"
                    + (closed ? " before the transport was closed: " : ": ") + text(cause), copy(cause));
        }
        if (cause instanceof UnknownTopicOrPartitionException
                || cause instanceof org.apache.kafka.common.errors.TimeoutException
                && String.valueOf(cause.getMessage()).contains("not present in metadata")) {
            // The topic was deleted after the producer learned of it; only the cluster can say.
            TopicCheck.Answer answer = topics.cached(topic);
            if (answer == null) {
                answer = ask(topic);
            }
            if (answer.state() == TopicCheck.State.MISSING || answer.state() == TopicCheck.State.FORBIDDEN) {
                return answerProblem(topic, answer);
            }
            return TransportException.outage("the producer has no metadata for topic " + topic + " (the cluster says "
                    + answer.state().name().toLowerCase(java.util.Locale.ROOT) + "): " + text(cause), copy(cause));
        }
        if (cause instanceof ClusterAuthorizationException || cause instanceof AuthenticationException) {
            // About this producer, not this event: every event would fail alike until an operator acts.
            return TransportException.outage("the Kafka cluster refuses this producer: " + text(cause), copy(cause));
        }
        return TransportException.retryable(message, copy(cause));
    }

    /**
     * Whether a record failed because the cluster did not answer: a request or delivery timeout, a
     * lost connection. Answers of the broker that can pass (not enough replicas, not the leader)
     * are not silence.
     */
    private static boolean isSilence(Throwable cause) {
        return cause instanceof org.apache.kafka.common.errors.TimeoutException
                && !String.valueOf(cause.getMessage()).contains("not present in metadata")
                || cause instanceof NetworkException || cause instanceof DisconnectException
                || cause instanceof BrokerNotAvailableException || cause instanceof InterruptException;
    }

    /** Names the limit that was exceeded and the record's size, and what to change. */
    private String tooLarge(Throwable cause, OutboxMessage m) {
        String text = text(cause);
        if (text.contains("max.request.size")) {
            // The producer refused it: "The message is N bytes when serialized which is larger than M, …"
            String key = settings.name(KafkaSettings.MAX_REQUEST_SIZE);
            return "the record is larger than the producer's max.request.size (" + key + "="
                    + settings.maxRequestSize() + "): " + text + " Raise " + key
                    + " (and the topic's max.message.bytes) or make the event smaller";
        }
        return "the broker refused the record as too large (" + size(record("-", m)) + " bytes of key, value and"
                + " headers; the limit is the topic's max.message.bytes, else the broker's message.max.bytes): "
                + text + " Raise the limit or make the event smaller";
    }

    private static int size(ProducerRecord<byte[], byte[]> r) {
        int size = (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
        for (var h : r.headers()) {
            size += h.key().getBytes(StandardCharsets.UTF_8).length + (h.value() == null ? 0 : h.value().length);
        }
        return size;
    }

    static ProducerRecord<byte[], byte[]> record(String topic, OutboxMessage m, String source) {
        CloudEvent event = CloudEvent.of(m, source);
        return new ProducerRecord<>(topic, null, m.aggregateId().getBytes(StandardCharsets.UTF_8), event.dataBytes(),
                KafkaHeaders.of(event));
    }

    private ProducerRecord<byte[], byte[]> record(String topic, OutboxMessage m) {
        return record(topic, m, settings.source());
    }

    /**
     * Closes the producer, waiting at most {@link #CLOSE_TIMEOUT} for requests in flight, and the
     * admin client without waiting (its only requests are topic checks).
     */
    /**
     * Yes: records go to the producer in list order, and the idempotent producer (at most 5
     * requests in flight, sequence numbers per partition) writes a partition's records in the order
     * they were sent, retries included; a key's records share a partition.
     */
    @Override
    public boolean keepsOrderWithinBatch() {
        return true;
    }

    /** OpenTelemetry's {@code messaging.system} value for this broker. */
    @Override
    public String system() {
        return "kafka";
    }

    /** The topic the event's route names; {@code null} when none does. */
    @Override
    public String destination(OutboxMessage message) {
        return settings.router().destinationIfRoutable(message);
    }

    @Override
    public void close() {
        closed = true;
        try {
            producer.close(CLOSE_TIMEOUT);
        } finally {
            admin.close(Duration.ZERO);
        }
    }

    /**
     * Builds a {@code kafka} transport in code, with the settings the sidecar reads from
     * {@code OUTBOX_KAFKA_*} (the same declarations: {@link KafkaTransportFactory#config()}). Each setter checks
     * its value at once and throws an {@link OutboxException} naming the property, the rule and
     * the value ({@code kafka.maxRequestSize must be between 1024 and 2147483647 (was 12)});
     * unset settings keep their defaults. {@link #build()} checks that the required
     * {@link #bootstrapServers} is set, reads the properties file and creates the transport as
     * the factory does, without connecting. Not thread-safe; each {@code build()} creates a new
     * transport, which the caller closes.
     */
    public static final class Builder extends TransportBuilder<Builder> {
        private Builder() {
            super(KafkaSettings.MODEL, KafkaSettings.ROUTE_DEFAULT);
        }

        /** The brokers to connect to, as {@code host:port[,host:port…]} (required). */
        public Builder bootstrapServers(String servers) {
            return set(KafkaSettings.BOOTSTRAP_SERVERS, servers);
        }

        /** The producer's {@code client.id} (default {@code outbox-relay}); the admin client adds {@code -admin}. */
        public Builder clientId(String clientId) {
            return set(KafkaSettings.CLIENT_ID, clientId);
        }

        /** {@code none} (default), {@code gzip}, {@code snappy}, {@code lz4} or {@code zstd}. */
        public Builder compression(String codec) {
            return set(KafkaSettings.COMPRESSION, codec);
        }

        /** The producer's {@code max.request.size} in bytes (default 1048576): larger records fail permanently. */
        public Builder maxRequestSize(int bytes) {
            return set(KafkaSettings.MAX_REQUEST_SIZE, bytes);
        }

        /** Longest wait for a batch's acknowledgements (default 25s), 1s to 10m; below the relay's send timeout. */
        public Builder ackTimeout(Duration timeout) {
            return set(KafkaSettings.ACK_TIMEOUT, timeout);
        }

        /** Longest wait for a topic's metadata (default 5s), 100ms to 5m. */
        public Builder maxBlock(Duration timeout) {
            return set(KafkaSettings.MAX_BLOCK, timeout);
        }

        /**
         * A properties file of further producer and admin client properties (SASL, TLS), read by
         * {@link #build()}; its values are treated as secrets.
         */
        public Builder propertiesFile(Path file) {
            return set(KafkaSettings.PROPERTIES_FILE, file == null ? null : file.toString());
        }

        /**
         * @return a new transport; it connects when it first sends
         * @throws OutboxException naming the property if a required setting is missing, the
         *         properties file is invalid or the Kafka client rejects the configuration
         */
        @Override
        public Transport build() {
            return create(values.build(), Naming.PROPERTY);
        }
    }
}
