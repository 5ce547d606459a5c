package dev.outbox.chaos;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP receiver for the {@code http} transport (JDK HttpServer). It records every event it
 * answers with 204, in the order it received them, and refuses with 500 every event of the
 * keys it was told to refuse (the poison key).
 */
final class WebhookReceiver implements Broker {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(16);
    private final List<Delivery> accepted = new ArrayList<>();
    private final Set<String> refusedKeys = new HashSet<>();
    final AtomicInteger refusals = new AtomicInteger();

    private WebhookReceiver(HttpServer server) {
        this.server = server;
    }

    static WebhookReceiver start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        WebhookReceiver receiver = new WebhookReceiver(server);
        server.createContext("/", receiver::handle);
        server.setExecutor(receiver.executor);
        server.start();
        return receiver;
    }

    void refuse(String key) {
        synchronized (refusedKeys) {
            refusedKeys.add(key);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            Delivery d = Delivery.of(new String(in.readAllBytes(), StandardCharsets.UTF_8), System.currentTimeMillis());
            boolean refused;
            synchronized (refusedKeys) {
                refused = refusedKeys.contains(d.key());
            }
            if (refused) {
                refusals.incrementAndGet();
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            synchronized (accepted) {
                accepted.add(d); // before the 2xx: the relay sends a key's next event only after it
            }
            exchange.sendResponseHeaders(204, -1);
        }
    }

    @Override
    public String name() {
        return "http";
    }

    @Override
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public Map<String, String> relayEnv(String route, int via) {
        return Map.of("OUTBOX_TRANSPORT", "http", "OUTBOX_WEBHOOK_URL", "http://127.0.0.1:" + via + "/" + route);
    }

    @Override
    public void prepare(String route) {
    }

    @Override
    public Reader reader(String route) {
        return published -> {
            Await.until(published + " distinct events accepted by the webhook receiver", 60_000, () -> {
                synchronized (accepted) {
                    return accepted.stream().map(d -> d.key() + "/" + d.n()).distinct().count() >= published;
                }
            });
            synchronized (accepted) {
                return List.copyOf(accepted);
            }
        };
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "webhook receiver on 127.0.0.1:" + port();
    }
}
