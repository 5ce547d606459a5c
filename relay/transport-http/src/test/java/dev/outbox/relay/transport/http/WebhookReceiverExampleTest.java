package dev.outbox.relay.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The README's receiver example (between the tags): verify, then answer 2xx or 401. */
class WebhookReceiverExampleTest {
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    static void handle(HttpExchange exchange, String secret) throws IOException {
        // tag::webhookReceiver[]
        WebhookVerifier verifier = WebhookVerifier.of(List.of(secret)); // timestamps within 5 minutes
        byte[] body = exchange.getRequestBody().readAllBytes();
        try {
            verifier.verify(exchange.getRequestHeaders().getFirst("webhook-id"),
                    exchange.getRequestHeaders().getFirst("webhook-timestamp"),
                    exchange.getRequestHeaders().getFirst("webhook-signature"), body);
        } catch (WebhookVerifier.VerificationException e) {
            exchange.sendResponseHeaders(401, -1); // not from the relay: ignore it
            return;
        }
        // … process the event once (deduplicate on webhook-id, e.g. with the Inbox) …
        exchange.sendResponseHeaders(204, -1);
        // end::webhookReceiver[]
    }

    @Test
    void receiverAcceptsSignedRequestsAndRejectsOthers() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                handle(exchange, SECRET);
            }
        });
        server.start();
        try {
            URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
            String body = "{\"total\": 12.50}";
            String timestamp = String.valueOf(System.currentTimeMillis() / 1000);
            assertThat(post(uri, "msg_1", timestamp, sign("msg_1", timestamp, body), body)).isEqualTo(204);
            assertThat(post(uri, "msg_1", timestamp, "v1,AAAA", body)).isEqualTo(401);
        } finally {
            server.stop(0);
        }
    }

    /** An independent Standard Webhooks signature: HMAC-SHA256 over id.timestamp.body. */
    private static String sign(String id, String timestamp, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring("whsec_".length())), "HmacSHA256"));
        byte[] signature = mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
        return "v1," + Base64.getEncoder().encodeToString(signature);
    }

    private static int post(URI uri, String id, String timestamp, String signature, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("webhook-id", id).header("webhook-timestamp", timestamp).header("webhook-signature", signature)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
