package dev.outbox.sample.broker;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.outbox.sample.consumers.InboxConsumer;
import dev.outbox.sample.consumers.ReceivedEvent;
import dev.outbox.sample.consumers.Trace;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Feeds one consumer from its RabbitMQ queue ({@link RabbitMqTopology#queue}) on a channel of its
 * own: one delivery at a time, in queue order. Started by {@code SampleApp}.
 *
 * <ul>
 *   <li>Success or duplicate: ack.</li>
 *   <li>Failure: nack with requeue, so the broker redelivers it; after {@link Retries#maxAttempts()}
 *       failed attempts, reject without requeue: the queue dead-letters it to the consumer's DLQ.</li>
 *   <li>A message that can never succeed (no id, no JSON body) is rejected at once.</li>
 * </ul>
 * The ack comes after the commit: a crash in between redelivers, and the inbox makes that harmless.
 */
public final class RabbitMqListener implements AutoCloseable {
    private final Channel channel;

    private RabbitMqListener(Channel channel) {
        this.channel = channel;
    }

    public static RabbitMqListener start(Connection connection, String queue, InboxConsumer consumer, Retries retries,
                                         Trace trace) throws IOException {
        Channel channel = connection.createChannel();
        channel.basicQos(20);
        // Attempts per message id, this process's view: a restart grants a message fresh attempts.
        Map<String, Integer> attempts = new ConcurrentHashMap<>();
        channel.basicConsume(queue, false, consumer.name(), new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body)
                    throws IOException {
                long delivery = envelope.getDeliveryTag();
                ReceivedEvent event;
                try {
                    Map<String, Object> headers = properties.getHeaders() == null ? Map.of() : properties.getHeaders();
                    event = ReceivedEvent.of(properties.getMessageId(), text(headers.get("cloudEvents:type")),
                            text(headers.get("cloudEvents:subject")), body);
                } catch (IllegalArgumentException e) {
                    trace.line(consumer.name(), "malformed message → dead-letter queue: " + e.getMessage());
                    channel.basicReject(delivery, false);
                    return;
                }
                try {
                    consumer.process(event);
                    attempts.remove(properties.getMessageId());
                    channel.basicAck(delivery, false);
                } catch (Exception e) {
                    int attempt = attempts.merge(properties.getMessageId(), 1, Integer::sum);
                    if (attempt >= retries.maxAttempts()) {
                        attempts.remove(properties.getMessageId());
                        trace.line(consumer.name(), event.shortId() + " " + event.type() + " failed " + attempt
                                + " times → dead-letter queue: " + e);
                        channel.basicReject(delivery, false);
                    } else {
                        trace.line(consumer.name(), event.shortId() + " " + event.type() + " failed (attempt " + attempt
                                + "), rolled back, redelivery requested: " + e);
                        sleep(retries.delayAfter(attempt).toMillis());
                        channel.basicNack(delivery, false, true);
                    }
                }
            }
        });
        return new RabbitMqListener(channel);
    }

    private static String text(Object header) {
        return header == null ? null : header.toString(); // AMQP strings arrive as LongString
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops consuming; unacknowledged messages go back to the queue. */
    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } catch (java.util.concurrent.TimeoutException | com.rabbitmq.client.AlreadyClosedException e) {
            // the connection is going away anyway: the broker requeues what was not acked
        }
    }
}
