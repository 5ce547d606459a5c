package dev.outbox.sample.demo;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

/**
 * A small client of the order service's HTTP API (JDK {@link HttpClient}), used by the demo, the
 * tests and the notifications consumer. I/O errors throw {@link UncheckedIOException}.
 */
public final class OrderClient {
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public OrderClient(URI base) {
        this.base = base;
    }

    /** A status code and the JSON body. */
    public record Response(int status, JsonObject body) {
    }

    public Response place(JsonObject order) {
        return send(HttpRequest.newBuilder(base.resolve("/orders")).POST(HttpRequest.BodyPublishers.ofString(order.toString())));
    }

    public Response placeRaw(String body) {
        return send(HttpRequest.newBuilder(base.resolve("/orders")).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Response cancel(UUID orderId) {
        return send(HttpRequest.newBuilder(base.resolve("/orders/" + orderId + "/cancel")).POST(HttpRequest.BodyPublishers.noBody()));
    }

    public Response get(UUID orderId) {
        return send(HttpRequest.newBuilder(base.resolve("/orders/" + orderId)).GET());
    }

    /** The customer's address of an order; throws {@link IllegalStateException} unless the order exists. */
    public String email(UUID orderId) {
        Response r = get(orderId);
        if (r.status() != 200) {
            throw new IllegalStateException("GET /orders/" + orderId + " answered " + r.status() + " " + r.body());
        }
        return r.body().getString("email");
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            try (JsonReader reader = Json.createReader(new StringReader(r.body()))) {
                return new Response(r.statusCode(), reader.readObject());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("order service at " + base + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
