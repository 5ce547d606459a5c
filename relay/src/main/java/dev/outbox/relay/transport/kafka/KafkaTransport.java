package dev.outbox.relay.transport.kafka;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.transport.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The {@code kafka} transport: publishes every event as one record with an idempotent producer
 * ({@code enable.idempotence=true}, {@code acks=all}, at most 5 requests in flight). Created by
 * {@link KafkaTransportFactory}; called by the relay with batches holding at most one event per
 * ordering key.
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
 * <p><b>Failures.</b>
 * <ul>
 *   <li>Permanent (the event goes dead after its non-retryable attempts): no route, a name that
 *       is not a valid topic, a topic that does not exist (confirmed by the cluster: the
 *       producer itself cannot tell a missing topic from an unreachable cluster), writing to it
 *       is not authorized, the record is larger than {@code OUTBOX_KAFKA_MAX_REQUEST_SIZE} or
 *       than the broker accepts, the broker rejects the record as invalid.</li>
 *   <li>The whole batch ({@link TransportException} thrown, no attempt charged): the cluster does
 *       not answer, authentication fails, or no event of the batch was acknowledged and at least
 *       one failed for a reason that can pass (the broker stopped mid-batch); also when the relay
 *       interrupts the call.</li>
 *   <li>Retryable, per event: anything else, e.g. a record not acknowledged in time while others
 *       of the batch were.</li>
 * </ul>
 * The producer reconnects by itself; after an outage the next batch goes through the same
 * producer, which also keeps per-partition order for records it still held from before.
 */
public final class KafkaTransport implements Transport {
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final KafkaSettings settings;
    private final Producer<byte[], byte[]> producer;
    private final Admin admin;
    private final TopicCheck topics;

    KafkaTransport(KafkaSettings settings, Producer<byte[], byte[]> producer, Admin admin) {
        this.settings = settings;
        this.producer = producer;
        this.admin = admin;
        this.topics = new TopicCheck(admin, settings.maxBlock(), System::nanoTime);
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
            throw TransportException.retryable("interrupted while handing events to the Kafka producer", e);
        } catch (KafkaException | IllegalStateException e) {
            throw TransportException.retryable("the Kafka producer refused the batch: " + e.getMessage(), e);
        }
        return awaitAcks(batch, results, topicOf, acks, deadline);
    }

    private List<SendResult> awaitAcks(List<OutboxMessage> batch, SendResult[] results, String[] topicOf,
                                       List<Future<RecordMetadata>> acks, long deadline) {
        int acknowledged = 0;
        Throwable passing = null; // why an event failed for a reason that can pass (an outage)
        for (int i = 0; i < batch.size(); i++) {
            Future<RecordMetadata> ack = acks.get(i);
            if (ack == null) {
                continue;
            }
            OutboxMessage m = batch.get(i);
            try {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                results[i] = SendResult.acknowledged(m.id());
                acknowledged++;
            } catch (TimeoutException e) {
                TransportException failure = TransportException.retryable("Kafka did not acknowledge the event within "
                        + settings.ackTimeout() + " (" + KafkaSettings.ACK_TIMEOUT + ")", e);
                results[i] = SendResult.failed(m.id(), failure);
                passing = passing != null ? passing : failure;
            } catch (ExecutionException e) {
                TransportException failure = failure(topicOf[i], e.getCause());
                results[i] = SendResult.failed(m.id(), failure);
                if (failure.retryable()) {
                    passing = passing != null ? passing : failure;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw TransportException.retryable("interrupted while waiting for Kafka's acknowledgements", e);
            }
        }
        if (acknowledged == 0 && passing != null) {
            // Nothing got through: most likely the cluster went away. Failing the batch pauses the
            // relay without charging the events an attempt each.
            throw TransportException.retryable("Kafka acknowledged none of the " + acks.stream()
                    .filter(a -> a != null).count() + " events sent: " + passing.getMessage(), passing);
        }
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
            return TransportException.permanent("Kafka refuses topic " + topic + ": " + e.getMessage(), e);
        } catch (InterruptException e) {
            throw TransportException.retryable("interrupted while fetching the metadata of topic " + topic, e);
        } catch (KafkaException e) {
            throw TransportException.retryable("cannot get the metadata of topic " + topic + " from Kafka at "
                    + settings.bootstrapServers() + ": " + e.getMessage(), e);
        }
    }

    private TopicCheck.Answer ask(String topic) {
        try {
            return topics.check(topic);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TransportException.retryable("interrupted while asking Kafka whether topic " + topic + " exists", e);
        }
    }

    private TransportException answerProblem(String topic, TopicCheck.Answer answer) {
        return switch (answer.state()) {
            case MISSING -> TransportException.permanent("topic " + topic + " does not exist in the Kafka cluster"
                    + " (create it, or route the events elsewhere)", answer.cause());
            case FORBIDDEN -> TransportException.permanent("not authorized to write to or describe topic " + topic
                    + ": " + answer.cause().getMessage(), answer.cause());
            case EXISTS -> TransportException.retryable("topic " + topic + " exists but the producer got no metadata"
                    + " for it within " + settings.maxBlock() + " (" + KafkaSettings.MAX_BLOCK + ")", null);
            case UNREACHABLE -> throw TransportException.retryable("the Kafka cluster at " + settings.bootstrapServers()
                    + " does not answer (" + String.valueOf(answer.cause()) + ")", answer.cause());
        };
    }

    /** Maps a failed acknowledgement: permanent only when the broker will always refuse the record. */
    private TransportException failure(String topic, Throwable cause) {
        String message = "Kafka rejected the event: " + cause.getMessage();
        if (cause instanceof RecordTooLargeException || cause instanceof RecordBatchTooLargeException
                || cause instanceof InvalidTopicException || cause instanceof InvalidRecordException
                || cause instanceof TopicAuthorizationException) {
            return TransportException.permanent(message, cause);
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
        }
        if (cause instanceof ClusterAuthorizationException) {
            return TransportException.retryable("the Kafka cluster refuses this producer: " + cause.getMessage(), cause);
        }
        return TransportException.retryable(message, cause);
    }

    static ProducerRecord<byte[], byte[]> record(String topic, OutboxMessage m, String source) {
        CloudEvent event = CloudEvent.of(m, source);
        return new ProducerRecord<>(topic, null, m.aggregateId().getBytes(StandardCharsets.UTF_8), event.dataBytes(),
                KafkaHeaders.of(event));
    }

    private ProducerRecord<byte[], byte[]> record(String topic, OutboxMessage m) {
        return record(topic, m, settings.source());
    }

    /** Closes the producer and the admin client, each waiting at most 5 s for requests in flight. */
    @Override
    public void close() {
        try {
            producer.close(CLOSE_TIMEOUT);
        } finally {
            admin.close(CLOSE_TIMEOUT);
        }
    }
}
