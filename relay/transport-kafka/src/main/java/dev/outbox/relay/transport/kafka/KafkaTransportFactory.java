package dev.outbox.relay.transport.kafka;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Naming;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;

/**
 * The {@code kafka} transport ({@code OUTBOX_TRANSPORT=kafka}), found by
 * {@link java.util.ServiceLoader}. Its settings ({@code OUTBOX_KAFKA_*}, the routes and the
 * CloudEvents source) are declared in {@link #config()}; embedders use
 * {@link KafkaTransport#builder()}, which validates with the same declarations. Creating the
 * transport does not connect: a broker that is down at start-up is retried like any outage.
 */
public final class KafkaTransportFactory implements TransportFactory {

    /** Called by the service loader. */
    public KafkaTransportFactory() {
        super();
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public ConfigModel config() {
        return KafkaSettings.MODEL;
    }

    /**
     * @throws OutboxException naming the key, the rule and the value if the properties file is
     *         invalid or the Kafka client rejects the configuration (values of the properties
     *         file are replaced by {@code ****} in the message)
     */
    @Override
    public Transport create(ConfigValues values) {
        return KafkaTransport.create(values, Naming.ENVIRONMENT);
    }
}
