package dev.outbox.bench.brokers;

import dev.outbox.bench.EventSpec;
import dev.outbox.bench.Machine;
import dev.outbox.bench.Measurement;
import dev.outbox.bench.Target;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.redis.RedisStreamFields;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;

/**
 * Redis Streams: per run a stream key of its own. By hand: one client, every entry ({@code XADD
 * key * …}, the transport's own fields {@link RedisStreamFields}) in one pipeline, then all
 * replies checked; one connection keeps each key's order.
 */
final class RedisTarget implements Target {
    private final String url;
    private final String host;
    private final int port;
    private final EventSpec events;
    private final RedisClient admin;

    RedisTarget(String url, EventSpec events) {
        this.url = url;
        URI u = URI.create(url);
        this.host = u.getHost();
        this.port = u.getPort() < 0 ? 6379 : u.getPort();
        this.events = events;
        this.admin = RedisClient.create(host, port);
    }

    @Override
    public String label() {
        return "redis, XADD";
    }

    @Override
    public String transport() {
        return "redis";
    }

    @Override
    public EventSpec events() {
        return events;
    }

    @Override
    public void create(String key) {
        admin.del(key);
    }

    @Override
    public void delete(String key) {
        admin.del(key);
    }

    @Override
    public Map<String, String> transportEnv(String key) {
        return Map.of("OUTBOX_REDIS_URL", url, "OUTBOX_ROUTE_DEFAULT", key);
    }

    @Override
    public Measurement byHand(String key, List<OutboxMessage> messages) {
        long start = System.nanoTime();
        try (RedisClient client = RedisClient.create(host, port)) {
            List<Response<StreamEntryID>> replies = new ArrayList<>(messages.size());
            try (Pipeline p = client.pipelined()) {
                for (OutboxMessage m : messages) {
                    replies.add(p.xadd(key, XAddParams.xAddParams(),
                            RedisStreamFields.of(CloudEvent.of(m, CloudEvent.DEFAULT_SOURCE))));
                }
                p.sync();
            }
            for (Response<StreamEntryID> r : replies) {
                r.get(); // throws if the server refused it
            }
            return Measurement.of(messages.size(), start, System.nanoTime());
        }
    }

    @Override
    public String verify(String key, long expected) {
        return Target.counted("stream " + key, admin.xlen(key), expected);
    }

    @Override
    public String handDescription() {
        return "one client, every `XADD` (the transport's fields) in one pipeline, then every reply checked";
    }

    @Override
    public Map<String, String> settings() {
        String info = admin.info("server");
        String version = info.lines().filter(l -> l.startsWith("redis_version:")).map(l -> l.substring(14).strip())
                .findFirst().orElse("unknown");
        String aof = admin.configGet("appendonly").getOrDefault("appendonly", "unknown");
        return Map.of("Redis", version + " (appendonly " + aof + ")", "jedis", Machine.versionOf(RedisClient.class));
    }

    @Override
    public void close() {
        admin.close();
    }
}
