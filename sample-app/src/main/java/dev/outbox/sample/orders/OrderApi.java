package dev.outbox.sample.orders;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonStructure;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The order service's HTTP JSON API on the JDK's {@link HttpServer}:
 * {@code POST /orders}, {@code POST /orders/{id}/cancel}, {@code GET /orders/{id}},
 * {@code GET /health}. Started by {@code SampleApp}; errors are JSON {@code {"error": "..."}}
 * with 400 (invalid request, nothing written), 404, 405, 409, 413 or 500.
 */
public final class OrderApi implements AutoCloseable {
    private static final Pattern ORDER = Pattern.compile("/orders/([0-9a-fA-F-]{36})");
    private static final Pattern CANCEL = Pattern.compile("/orders/([0-9a-fA-F-]{36})/cancel");
    private static final int MAX_BODY = 64 * 1024;

    private final OrderService orders;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);

    private OrderApi(OrderService orders, HttpServer server) {
        this.orders = orders;
        this.server = server;
    }

    /** Serves on {@code host:port} (port 0 picks a free one) until {@link #close()}. */
    public static OrderApi start(OrderService orders, String host, int port) throws IOException {
        OrderApi api = new OrderApi(orders, HttpServer.create(new InetSocketAddress(host, port), 0));
        api.server.createContext("/", api::handle);
        api.server.setExecutor(api.executor);
        api.server.start();
        return api;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            Matcher cancel = CANCEL.matcher(path);
            Matcher order = ORDER.matcher(path);
            try {
                if (path.equals("/orders") && method.equals("POST")) {
                    respond(exchange, 201, change(orders.place(PlaceOrder.fromJson(readObject(exchange)))));
                } else if (cancel.matches() && method.equals("POST")) {
                    respond(exchange, 200, change(orders.cancel(uuid(cancel.group(1)))));
                } else if (order.matches() && method.equals("GET")) {
                    UUID id = uuid(order.group(1));
                    respond(exchange, 200, orders.find(id).map(OrderApi::order)
                            .orElseThrow(() -> OrderRejectedException.notFound("no order " + id)));
                } else if (path.equals("/health")) {
                    respond(exchange, 200, Json.createObjectBuilder().add("status", "up").build());
                } else if (path.equals("/orders") || cancel.matches() || order.matches()) {
                    respond(exchange, 405, error(method + " is not allowed on " + path));
                } else {
                    respond(exchange, 404, error("no such resource: " + path));
                }
            } catch (OrderRejectedException e) {
                respond(exchange, e.httpStatus(), error(e.getMessage()));
            } catch (RuntimeException e) {
                System.getLogger(OrderApi.class.getName()).log(System.Logger.Level.ERROR, method + " " + path + " failed", e);
                respond(exchange, 500, error("internal error: " + e.getClass().getSimpleName()));
            }
        }
    }

    private static JsonObject readObject(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) {
            throw OrderRejectedException.invalid("the request body must be at most " + MAX_BODY + " bytes");
        }
        try (JsonReader reader = Json.createReader(new ByteArrayInputStream(body))) {
            JsonStructure json = reader.read();
            if (json instanceof JsonObject o) {
                return o;
            }
            throw OrderRejectedException.invalid("the request body must be a JSON object");
        } catch (JsonException e) {
            throw OrderRejectedException.invalid("the request body is not valid JSON: " + e.getMessage());
        }
    }

    private static UUID uuid(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw OrderRejectedException.invalid("order id must be a UUID (was \"" + text + "\")");
        }
    }

    private static JsonObject change(OrderChange c) {
        return Json.createObjectBuilder().add("id", c.orderId().toString()).add("status", c.status())
                .add("version", c.version()).add("event", c.eventId().toString()).build();
    }

    private static JsonObject order(Order o) {
        JsonArrayBuilder lines = Json.createArrayBuilder();
        o.lines().forEach(l -> lines.add(Json.createObjectBuilder().add("sku", l.sku()).add("quantity", l.quantity())));
        return Json.createObjectBuilder().add("id", o.id().toString()).add("customer", o.customer())
                .add("email", o.email()).add("status", o.status()).add("version", o.version()).add("lines", lines).build();
    }

    private static JsonObject error(String message) {
        return Json.createObjectBuilder().add("error", message).build();
    }

    private static void respond(HttpExchange exchange, int status, JsonObject body) throws IOException {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops accepting requests, lets running ones finish (at most 2 s). */
    @Override
    public void close() {
        server.stop(2);
        executor.shutdownNow();
    }
}
