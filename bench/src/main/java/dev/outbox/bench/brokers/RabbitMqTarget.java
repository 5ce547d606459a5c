package dev.outbox.bench.brokers;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.outbox.bench.EventSpec;
import dev.outbox.bench.Machine;
import dev.outbox.bench.Measurement;
import dev.outbox.bench.Target;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * RabbitMQ: per run a durable topic exchange and a durable queue bound to it with {@code #} (so
 * that every mandatory, persistent message is routed and written). By hand: one connection, one
 * channel in confirm mode, every message published as the transport builds it (persistent,
 * mandatory, message id, type, timestamp, CloudEvents AMQP headers), then all confirms awaited;
 * one channel keeps each key's order.
 */
final class RabbitMqTarget implements Target {
    private static final String ROUTING_KEY = "Order.OrderPlaced"; // the transport's default ${aggregatetype}.${type}

    private final String uri;
    private final EventSpec events;
    private final Connection admin;

    RabbitMqTarget(String uri, EventSpec events) throws Exception {
        this.uri = uri;
        this.events = events;
        this.admin = factory().newConnection("outbox-bench-admin");
    }

    private ConnectionFactory factory() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri);
        return f;
    }

    @Override
    public String label() {
        return "rabbitmq, confirms";
    }

    @Override
    public String transport() {
        return "rabbitmq";
    }

    @Override
    public EventSpec events() {
        return events;
    }

    @Override
    public void create(String name) throws Exception {
        try (Channel c = admin.createChannel()) {
            c.exchangeDeclare(name, "topic", true);
            c.queueDeclare(name, true, false, false, null);
            c.queueBind(name, name, "#");
        }
    }

    @Override
    public void delete(String name) {
        try (Channel c = admin.createChannel()) {
            c.queueDelete(name);
            c.exchangeDelete(name);
        } catch (Exception e) {
            throw new IllegalStateException("cannot delete exchange and queue " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, String> transportEnv(String exchange) {
        return Map.of("OUTBOX_RABBITMQ_URI", uri, "OUTBOX_ROUTE_DEFAULT", exchange);
    }

    @Override
    public Measurement byHand(String exchange, List<OutboxMessage> messages) throws Exception {
        long start = System.nanoTime();
        try (Connection connection = factory().newConnection("outbox-bench-hand"); Channel channel = connection.createChannel()) {
            AtomicInteger returned = new AtomicInteger();
            channel.addReturnListener(r -> returned.incrementAndGet());
            channel.confirmSelect();
            for (OutboxMessage m : messages) {
                CloudEvent event = CloudEvent.of(m, CloudEvent.DEFAULT_SOURCE);
                channel.basicPublish(exchange, ROUTING_KEY, true, properties(m, event), event.dataBytes());
            }
            channel.waitForConfirmsOrDie(120_000);
            long end = System.nanoTime();
            if (returned.get() > 0) {
                throw new IllegalStateException(returned.get() + " messages were returned unroutable");
            }
            return Measurement.of(messages.size(), start, end);
        }
    }

    /** As the transport's {@code Publication}: CloudEvents AMQP binding, persistent. */
    static AMQP.BasicProperties properties(OutboxMessage m, CloudEvent event) {
        Map<String, Object> headers = new LinkedHashMap<>();
        event.otherHeaders().forEach(headers::put);
        event.attributes().forEach((name, value) -> {
            if (!name.equals("datacontenttype")) {
                headers.put("cloudEvents:" + name, value);
            }
        });
        return new AMQP.BasicProperties.Builder().messageId(event.id()).type(m.type())
                .contentType(event.attributes().get("datacontenttype")).timestamp(Date.from(m.occurredAt()))
                .deliveryMode(2).headers(headers).build();
    }

    @Override
    public String verify(String queue, long expected) throws Exception {
        try (Channel c = admin.createChannel()) {
            return Target.counted("queue " + queue, c.queueDeclarePassive(queue).getMessageCount(), expected);
        }
    }

    @Override
    public String handDescription() {
        return "one channel in confirm mode, every message published (persistent, mandatory, the transport's properties"
                + " and CloudEvents headers), then `waitForConfirmsOrDie`; a durable queue bound with `#`";
    }

    @Override
    public Map<String, String> settings() {
        Object version = admin.getServerProperties().get("version");
        return Map.of("RabbitMQ", String.valueOf(version), "amqp-client", Machine.versionOf(ConnectionFactory.class));
    }

    @Override
    public void close() {
        try {
            admin.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
