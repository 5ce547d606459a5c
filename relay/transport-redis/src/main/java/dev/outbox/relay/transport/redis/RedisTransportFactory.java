package dev.outbox.relay.transport.redis;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;

/**
 * The {@code redis} transport ({@code OUTBOX_TRANSPORT=redis}): each event as an entry of a Redis
 * stream, see {@link RedisTransport}. Found by {@link java.util.ServiceLoader}. Its settings
 * ({@code OUTBOX_REDIS_URL}, a secret as a whole since it may hold a password, and the others) are
 * declared once in {@link #config()}; embedders use {@link RedisTransport#builder()}.
 * {@link #create} does not connect, so a server that is down at start-up does not stop the relay.
 */
public final class RedisTransportFactory implements TransportFactory {

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public ConfigModel config() {
        return RedisSettings.MODEL;
    }

    @Override
    public Transport create(ConfigValues values) {
        return RedisTransport.create(values);
    }
}
