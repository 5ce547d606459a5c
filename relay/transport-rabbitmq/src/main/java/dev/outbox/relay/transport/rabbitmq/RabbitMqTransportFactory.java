package dev.outbox.relay.transport.rabbitmq;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;

/**
 * The {@code rabbitmq} transport ({@code OUTBOX_TRANSPORT=rabbitmq}): publishes every event to an
 * exchange with publisher confirms, as a persistent, mandatory message. Found by
 * {@link java.util.ServiceLoader}; its settings are {@link RabbitMqSettings#MODEL}: the broker URI
 * (required, secret), the routes (the exchange of an event, default
 * {@value RabbitMqSettings#DEFAULT_EXCHANGE}), the routing key template, the confirm timeout,
 * whether to declare missing exchanges, and the CloudEvents {@code source}.
 *
 * <p>{@link #create} does not connect: the transport connects on its first batch, so the relay
 * starts even while RabbitMQ is down. Embedders use {@link RabbitMqTransport#builder()}.
 */
public final class RabbitMqTransportFactory implements TransportFactory {

    @Override
    public String name() {
        return "rabbitmq";
    }

    @Override
    public ConfigModel config() {
        return RabbitMqSettings.MODEL;
    }

    /** @throws dev.outbox.core.OutboxException if the client rejects the URI (shown without its user info) */
    @Override
    public Transport create(ConfigValues values) {
        return new RabbitMqTransport(RabbitMqSettings.from(values));
    }
}
