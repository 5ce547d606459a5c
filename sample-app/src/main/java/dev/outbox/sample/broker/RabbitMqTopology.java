package dev.outbox.sample.broker;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The RabbitMQ objects the consumers need, declared (idempotently) by {@code SampleApp} before the
 * consumers start:
 * <ul>
 *   <li>the topic exchange the relay publishes to ({@code outbox}, the relay's default), durable;</li>
 *   <li>per consumer a durable queue {@code <prefix>.<consumer>} bound with {@code Order.*} (the
 *       relay's routing key is {@code ${aggregatetype}.${type}}), whose rejected messages go to
 *       the dead-letter exchange {@code <prefix>.dlx} and from there to {@code <prefix>.<consumer>.dlq}.</li>
 * </ul>
 * A declaration that conflicts with an existing object (other arguments) fails with the broker's
 * message ({@code PRECONDITION_FAILED}); delete the old queue then.
 *
 * @param exchange where the relay publishes
 * @param prefix prefix of the queue and dead-letter names
 */
public record RabbitMqTopology(String exchange, String prefix) {
    public static final String BINDING = "Order.*";

    public String queue(String consumer) {
        return prefix + "." + consumer;
    }

    public String deadLetterQueue(String consumer) {
        return queue(consumer) + ".dlq";
    }

    public String deadLetterExchange() {
        return prefix + ".dlx";
    }

    /** Declares the exchanges and, for each consumer, its queue and dead-letter queue. */
    public void declare(Channel channel, List<String> consumers) throws IOException {
        channel.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
        channel.exchangeDeclare(deadLetterExchange(), BuiltinExchangeType.DIRECT, true);
        for (String consumer : consumers) {
            channel.queueDeclare(deadLetterQueue(consumer), true, false, false, null);
            channel.queueBind(deadLetterQueue(consumer), deadLetterExchange(), consumer);
            channel.queueDeclare(queue(consumer), true, false, false, Map.of(
                    "x-dead-letter-exchange", deadLetterExchange(),
                    "x-dead-letter-routing-key", consumer));
            channel.queueBind(queue(consumer), exchange, BINDING);
        }
    }

    /** Deletes what {@link #declare} created (tests and the demo's clean-up). */
    public void delete(Channel channel, List<String> consumers) throws IOException {
        for (String consumer : consumers) {
            channel.queueDelete(queue(consumer));
            channel.queueDelete(deadLetterQueue(consumer));
        }
        channel.exchangeDelete(deadLetterExchange());
        channel.exchangeDelete(exchange);
    }
}
