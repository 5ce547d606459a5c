package dev.outbox.relay.transport.nats;

import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.transport.Router;
import java.util.Set;

/**
 * The {@code nats} transport ({@code OUTBOX_TRANSPORT=nats}): publishes to NATS JetStream and
 * counts an event as delivered once a stream acknowledged it (see {@link NatsTransport}). Found by
 * {@link java.util.ServiceLoader}; the sidecar passes it the keys below.
 *
 * <ul>
 *   <li>{@code OUTBOX_NATS_URL} (required; secret, also {@code OUTBOX_NATS_URL_FILE}, because a URL
 *       may hold {@code user:password@} or {@code token@}): server URLs, comma-separated, e.g.
 *       {@code nats://127.0.0.1:4222} (schemes {@code nats}, {@code tls}, {@code ws}, {@code wss}).</li>
 *   <li>{@code OUTBOX_NATS_CREDENTIALS_FILE}: a NATS {@code .creds} file (JWT + NKey seed).</li>
 *   <li>{@code OUTBOX_NATS_TOKEN} (secret, also {@code OUTBOX_NATS_TOKEN_FILE}): a token.</li>
 *   <li>{@code OUTBOX_NATS_ACK_TIMEOUT} (default {@code 30s}): how long a batch waits for its
 *       PubAcks; events without one fail, retryable.</li>
 *   <li>{@code OUTBOX_ROUTES}, {@code OUTBOX_ROUTE_DEFAULT} (default {@code ${aggregatetype}}):
 *       the subject of an event, see {@link Router}.</li>
 *   <li>{@code OUTBOX_CLOUDEVENTS_SOURCE} (default {@code /outbox}): the CloudEvents {@code source}.</li>
 * </ul>
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
    public Set<String> configKeys() {
        return Set.of(NatsSettings.URL, NatsSettings.CREDENTIALS_FILE, NatsSettings.TOKEN, NatsSettings.ACK_TIMEOUT,
                Router.ROUTES_KEY, Router.DEFAULT_KEY, NatsSettings.SOURCE);
    }

    /** The token, and the URL: it may carry {@code user:password@} or {@code token@}. */
    @Override
    public Set<String> secretKeys() {
        return Set.of(NatsSettings.TOKEN, NatsSettings.URL);
    }

    /**
     * Validates the configuration and connects (a server that is not reachable yet is retried by
     * the first batch).
     *
     * @throws dev.outbox.core.OutboxException naming the key, the rule and the value
     */
    @Override
    public Transport create(TransportConfig config) {
        return NatsTransport.start(NatsSettings.from(config));
    }
}
