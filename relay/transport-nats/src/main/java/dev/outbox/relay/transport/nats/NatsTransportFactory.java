package dev.outbox.relay.transport.nats;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;

/**
 * The {@code nats} transport ({@code OUTBOX_TRANSPORT=nats}): publishes to NATS JetStream and
 * counts an event as delivered once a stream acknowledged it (see {@link NatsTransport}). Found by
 * {@link java.util.ServiceLoader}; its settings are {@link NatsSettings#MODEL}: the server URLs
 * (required, secret), a credentials file or token, the PubAck timeout, the routes (the subject of
 * an event, default {@code ${aggregatetype}}) and the CloudEvents {@code source}. Embedders use
 * {@link NatsTransport#builder()}.
 *
 * <p>The transport creates no streams: an operator adds a stream that captures the subjects
 * (with a duplicate window at least as long as a relay restart), e.g.
 * {@code nats stream add ORDERS --subjects 'Order' --storage file --dupe-window 2m --defaults}.
 * Events whose subject no stream captures fail permanently.
 */
public final class NatsTransportFactory implements TransportFactory {

    @Override
    public String name() {
        return "nats";
    }

    @Override
    public ConfigModel config() {
        return NatsSettings.MODEL;
    }

    /**
     * Checks that the credentials file can be read and connects (a server that is not reachable
     * yet is retried by the first batch).
     *
     * @throws dev.outbox.core.OutboxException naming the key, the rule and the value
     */
    @Override
    public Transport create(ConfigValues values) {
        return NatsTransport.start(NatsSettings.from(values));
    }
}
