package dev.outbox.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.resps.StreamEntry;

/**
 * A private redis-server. With AOF and {@code appendfsync always}, an XADD that returned is on
 * disk, so a kill -9 loses nothing the relay was told was stored (without AOF it would lose
 * everything: the README says so). Read with XRANGE; the entry id's time is the arrival time.
 */
final class RedisServer extends ServerProcess {
    private RedisServer(Lab lab, int port) {
        super(lab, "redis", port);
    }

    static RedisServer start(Lab lab, int port) {
        RedisServer server = new RedisServer(lab, port);
        server.launch();
        return server;
    }

    @Override
    List<String> command() {
        return List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no");
    }

    @Override
    String marker() {
        return "127.0.0.1:" + port;
    }

    @Override
    public Map<String, String> relayEnv(String route, int via) {
        return Map.of("OUTBOX_TRANSPORT", "redis", "OUTBOX_REDIS_URL", "redis://127.0.0.1:" + via,
                "OUTBOX_ROUTE_DEFAULT", route);
    }

    @Override
    public void prepare(String route) {
        // XADD creates the stream.
    }

    @Override
    public Reader reader(String route) {
        return published -> {
            List<Delivery> out = new ArrayList<>();
            try (RedisClient redis = RedisClient.create("127.0.0.1", port)) {
                String from = "-";
                while (true) {
                    List<StreamEntry> page = redis.xrange(route, from, "+", 10_000);
                    for (StreamEntry entry : page) {
                        out.add(Delivery.of(entry.getFields().get("data"), entry.getID().getTime()));
                    }
                    if (page.size() < 10_000) {
                        return out;
                    }
                    from = "(" + page.get(page.size() - 1).getID();
                }
            }
        };
    }

    @Override
    public String toString() {
        return "redis-server on 127.0.0.1:" + port;
    }
}
