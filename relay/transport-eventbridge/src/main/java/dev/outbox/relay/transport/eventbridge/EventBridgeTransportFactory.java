package dev.outbox.relay.transport.eventbridge;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;

/**
 * The {@code eventbridge} transport ({@code OUTBOX_TRANSPORT=eventbridge}): each event as an
 * Amazon EventBridge {@code PutEvents} entry on the bus its route names, see
 * {@link EventBridgeTransport}. Found by {@link java.util.ServiceLoader}. Its settings
 * ({@code OUTBOX_EVENTBRIDGE_ENDPOINT}, {@code OUTBOX_EVENTBRIDGE_REGION},
 * {@code OUTBOX_EVENTBRIDGE_TIMEOUT}, routes and the CloudEvents source) are declared once in
 * {@link #config()}; credentials come from the AWS SDK's default chain, never from these settings.
 * Embedders use {@link EventBridgeTransport#builder()}. {@link #create} sends nothing, so an
 * endpoint that is down at start-up does not stop the relay; it fails only when no region can be
 * found.
 */
public final class EventBridgeTransportFactory implements TransportFactory {

    @Override
    public String name() {
        return "eventbridge";
    }

    @Override
    public ConfigModel config() {
        return EventBridgeSettings.MODEL;
    }

    @Override
    public Transport create(ConfigValues values) {
        return EventBridgeTransport.create(values);
    }
}
