package dev.outbox.sample.broker;

import dev.outbox.sample.consumers.InboxConsumer;
import dev.outbox.sample.consumers.ReceivedEvent;
import dev.outbox.sample.consumers.Trace;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Feeds one consumer from a Kafka topic, in consumer group {@code <group prefix>.<consumer>}, on a
 * thread of its own; records of one partition (so of one order: the relay keys by order id) are
 * processed in order. Started by {@code SampleApp}.
 *
 * <p>Kafka does not redeliver by itself: a failed record is retried here, in place, up to
 * {@link Retries#maxAttempts()} times, then copied to the dead-letter topic {@code <topic>.dlq}
 * (headers kept) and skipped. Offsets are committed after each polled batch was processed, so a
 * crash redelivers at most that batch, which the inbox absorbs.
 */
public final class KafkaListener implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> kafka;
    /** Header of a dead-lettered record: the consumer that gave up on it (several share the topic). */
    public static final String CONSUMER_HEADER = "x-outbox-consumer";

    private final KafkaProducer<byte[], byte[]> deadLetters;
    private final Thread thread;
    private volatile boolean running = true;

    private KafkaListener(String bootstrap, String topic, String group, InboxConsumer consumer, Retries retries,
                          Trace trace) {
        this.kafka = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.deadLetters = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"),
                new ByteArraySerializer(), new ByteArraySerializer());
        kafka.subscribe(List.of(topic));
        this.thread = new Thread(() -> run(topic + ".dlq", consumer, retries, trace), "kafka-" + consumer.name());
    }

    public static KafkaListener start(String bootstrap, String topic, String group, InboxConsumer consumer,
                                      Retries retries, Trace trace) {
        KafkaListener listener = new KafkaListener(bootstrap, topic, group, consumer, retries, trace);
        listener.thread.start();
        return listener;
    }

    private void run(String deadLetterTopic, InboxConsumer consumer, Retries retries, Trace trace) {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : kafka.poll(Duration.ofMillis(200))) {
                    deliver(record, deadLetterTopic, consumer, retries, trace);
                }
                kafka.commitSync();
            }
        } catch (WakeupException stopping) {
            // close() woke us up
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            kafka.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            deadLetters.close(Duration.ofSeconds(5));
        }
    }

    private void deliver(ConsumerRecord<byte[], byte[]> record, String deadLetterTopic, InboxConsumer consumer,
                         Retries retries, Trace trace) throws InterruptedException {
        ReceivedEvent event;
        try {
            event = ReceivedEvent.of(header(record, "ce_id"), header(record, "ce_type"), header(record, "ce_subject"),
                    record.value());
        } catch (IllegalArgumentException e) {
            trace.line(consumer.name(), "malformed record → " + deadLetterTopic + ": " + e.getMessage());
            deadLetter(record, deadLetterTopic, consumer.name());
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                consumer.process(event);
                return;
            } catch (Exception e) {
                if (attempt >= retries.maxAttempts()) {
                    trace.line(consumer.name(), event.shortId() + " " + event.type() + " failed " + attempt
                            + " times → " + deadLetterTopic + ": " + e);
                    deadLetter(record, deadLetterTopic, consumer.name());
                    return;
                }
                trace.line(consumer.name(), event.shortId() + " " + event.type() + " failed (attempt " + attempt
                        + "), rolled back, retrying: " + e);
                Thread.sleep(retries.delayAfter(attempt).toMillis());
            }
        }
    }

    /** Copies the record to the dead-letter topic, naming the consumer that gave up (header {@value #CONSUMER_HEADER}). */
    private void deadLetter(ConsumerRecord<byte[], byte[]> record, String topic, String consumerName) {
        try {
            ProducerRecord<byte[], byte[]> copy = new ProducerRecord<>(topic, null, record.key(), record.value(),
                    record.headers());
            copy.headers().add(CONSUMER_HEADER, consumerName.getBytes(StandardCharsets.UTF_8));
            deadLetters.send(copy).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Not committing would redeliver the whole batch; stop instead, loudly.
            throw new IllegalStateException("cannot write to the dead-letter topic " + topic + ": " + e, e);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Stops polling, commits what was processed and closes the clients (waits at most ~10 s). */
    @Override
    public void close() {
        running = false;
        kafka.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
