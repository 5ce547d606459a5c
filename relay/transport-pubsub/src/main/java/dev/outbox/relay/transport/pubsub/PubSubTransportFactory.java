package dev.outbox.relay.transport.pubsub;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Naming;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;

/**
 * The {@code pubsub} transport ({@code OUTBOX_TRANSPORT=pubsub}), found by
 * {@link java.util.ServiceLoader}. Its settings ({@code OUTBOX_PUBSUB_*}, the routes and the
 * CloudEvents source) are declared in {@link #config()}; embedders use
 * {@link PubSubTransport#builder()}, which validates with the same declarations. Creating the
 * transport does not connect: an endpoint that is down at start-up is retried like any outage.
 */
public final class PubSubTransportFactory implements TransportFactory {

    /** Called by the service loader. */
    public PubSubTransportFactory() {
        super();
    }

    @Override
    public String name() {
        return "pubsub";
    }

    @Override
    public ConfigModel config() {
        return PubSubSettings.MODEL;
    }

    @Override
    public Transport create(ConfigValues values) {
        return PubSubTransport.create(values, Naming.ENVIRONMENT);
    }
}
