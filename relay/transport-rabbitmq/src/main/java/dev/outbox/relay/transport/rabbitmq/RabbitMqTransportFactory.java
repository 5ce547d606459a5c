package dev.outbox.relay.transport.rabbitmq;

import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.util.Set;

/**
 * The {@code rabbitmq} transport ({@code OUTBOX_TRANSPORT=rabbitmq}): publishes every event to an
 * exchange with publisher confirms, as a persistent, mandatory message. Found by
 * {@link java.util.ServiceLoader}; the sidecar passes it the keys listed in {@link #configKeys()}.
 *
 * <ul>
 *   <li>{@code OUTBOX_RABBITMQ_URI} (required, secret; also {@code OUTBOX_RABBITMQ_URI_FILE}):
 *       {@code amqp://user:password@host:5672/vhost} or {@code amqps://…} (TLS, verified against
 *       the JVM's trust store and the host name).</li>
 *   <li>{@code OUTBOX_ROUTES} / {@code OUTBOX_ROUTE_DEFAULT} (default {@value #DEFAULT_EXCHANGE}):
 *       the exchange of an event, see {@link Router}.</li>
 *   <li>{@code OUTBOX_RABBITMQ_ROUTING_KEY} (default {@value #DEFAULT_ROUTING_KEY}): the routing
 *       key template, with the same placeholders as the routes.</li>
 *   <li>{@code OUTBOX_RABBITMQ_CONFIRM_TIMEOUT} (default {@code 30s}): longest wait for a batch's
 *       publisher confirms.</li>
 *   <li>{@code OUTBOX_RABBITMQ_DECLARE_EXCHANGE} (default {@code false}): declare a missing exchange
 *       as a durable topic exchange instead of failing its events.</li>
 *   <li>{@code OUTBOX_CLOUDEVENTS_SOURCE} (default {@code /outbox}): the CloudEvents {@code source}.</li>
 * </ul>
 *
 * <p>{@link #create} validates the configuration (failing with the key, the rule and the value, the
 * URI's password masked) and does not connect: the transport connects on its first batch, so the
 * relay starts even while RabbitMQ is down.
 */
public final class RabbitMqTransportFactory implements TransportFactory {
    public static final String URI_KEY = "OUTBOX_RABBITMQ_URI";
    public static final String ROUTING_KEY_KEY = "OUTBOX_RABBITMQ_ROUTING_KEY";
    public static final String CONFIRM_TIMEOUT_KEY = "OUTBOX_RABBITMQ_CONFIRM_TIMEOUT";
    public static final String DECLARE_EXCHANGE_KEY = "OUTBOX_RABBITMQ_DECLARE_EXCHANGE";
    public static final String SOURCE_KEY = CloudEvent.SOURCE_KEY;
    /** The exchange of events without a route when {@code OUTBOX_ROUTE_DEFAULT} is not set. */
    public static final String DEFAULT_EXCHANGE = "outbox";
    /** The routing key template when {@code OUTBOX_RABBITMQ_ROUTING_KEY} is not set. */
    public static final String DEFAULT_ROUTING_KEY = "${aggregatetype}.${type}";

    @Override
    public String name() {
        return "rabbitmq";
    }

    @Override
    public Set<String> configKeys() {
        return Set.of(URI_KEY, ROUTING_KEY_KEY, CONFIRM_TIMEOUT_KEY, DECLARE_EXCHANGE_KEY, SOURCE_KEY,
                Router.ROUTES_KEY, Router.DEFAULT_KEY);
    }

    @Override
    public Set<String> secretKeys() {
        // The URI may carry the password.
        return Set.of(URI_KEY);
    }

    @Override
    public Transport create(TransportConfig config) {
        return new RabbitMqTransport(RabbitMqSettings.from(config));
    }
}
