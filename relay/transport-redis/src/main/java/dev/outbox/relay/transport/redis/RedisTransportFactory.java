package dev.outbox.relay.transport.redis;

import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.transport.Router;
import java.util.Set;

/**
 * The {@code redis} transport ({@code OUTBOX_TRANSPORT=redis}): each event as an entry of a Redis
 * stream, see {@link RedisTransport}. Found by {@link java.util.ServiceLoader}.
 *
 * <p>Keys:
 * <ul>
 *   <li>{@code OUTBOX_REDIS_URL} (required, secret when it holds a password):
 *       {@code redis://[user:password@]host[:port][/db]}, {@code rediss://…} for TLS; port 6379
 *       and database 0 by default;</li>
 *   <li>{@code OUTBOX_REDIS_KEY_PREFIX} (default empty): put before the destination to form the
 *       stream key;</li>
 *   <li>{@code OUTBOX_REDIS_MAXLEN} (default: no trimming): cap each stream at about this many
 *       entries ({@code XADD … MAXLEN ~ n});</li>
 *   <li>{@code OUTBOX_REDIS_TIMEOUT} (default 5s): connect and read timeout;</li>
 *   <li>{@code OUTBOX_ROUTES}, {@code OUTBOX_ROUTE_DEFAULT} (default {@code ${aggregatetype}}; set
 *       it empty to send only routed events): the stream of an event, see {@link Router};</li>
 *   <li>{@code OUTBOX_CLOUDEVENTS_SOURCE} (default {@code /outbox}).</li>
 * </ul>
 * {@link #create} validates everything and fails with a message naming the key, the rule and the
 * value (passwords masked); it does not connect, so a server that is down at start-up does not
 * stop the relay.
 */
public final class RedisTransportFactory implements TransportFactory {

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public Set<String> configKeys() {
        return Set.of(RedisSettings.URL, RedisSettings.KEY_PREFIX, RedisSettings.MAXLEN, RedisSettings.TIMEOUT,
                Router.ROUTES_KEY, Router.DEFAULT_KEY, RedisSettings.SOURCE);
    }

    /** The URL may hold a password, so it is always treated as a secret (and may come from {@code _FILE}). */
    @Override
    public Set<String> secretKeys() {
        return Set.of(RedisSettings.URL);
    }

    @Override
    public Transport create(TransportConfig config) {
        return RedisTransport.create(RedisSettings.from(config));
    }
}
