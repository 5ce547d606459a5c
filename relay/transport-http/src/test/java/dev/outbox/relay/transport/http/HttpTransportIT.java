package dev.outbox.relay.transport.http;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.outbox.core.OutboxEvent;
import dev.outbox.relay.Relay;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.testing.CapturedLogs;
import dev.outbox.testing.StallingProxy;
import dev.outbox.relay.transport.Router;
import dev.outbox.relay.testing.TransportContract;
import dev.outbox.relay.transport.http.WebhookServer.Response;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * The http transport against a real HTTP server (the JDK's, in this JVM, on 127.0.0.1): the
 * contract, plus signatures checked by an independent HMAC, secret rotation, 410, Retry-After,
 * timeouts, redirects and batch mode. Needs no environment variable besides the database.
 */
class HttpTransportIT extends TransportContract {
    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final String NEW_SECRET = "whsec_" + Base64.getEncoder().encodeToString(
            "a-second-secret-of-32-bytes-long".getBytes(StandardCharsets.US_ASCII));

    private final WebhookServer server = WebhookServer.start();

    @Override
    protected TransportFactory factory() {
        return new HttpTransportFactory();
    }

    @Override
    protected Map<String, String> config(String aggregateType) {
        return Map.of("OUTBOX_ROUTE_DEFAULT", server.url("/${aggregatetype}"),
                WebhookSettings.SECRETS.env(), SECRET,
                WebhookSettings.TIMEOUT.env(), "5s");
    }

    @Override
    protected void createDestination(String aggregateType) {
        // a path needs no set-up: the server answers 200 on every path unless told otherwise
    }

    @Override
    protected void startConsumer(String aggregateType) {
        // the server records from its start
    }

    @Override
    protected List<Received> received() {
        return server.accepted("/" + aggregateType).stream()
                .map(r -> new Received(r.header("ce-subject"), r.headers(), r.body())).toList();
    }

    @Override
    protected String attribute(Received message, String name) {
        String value = message.headers().get("ce-" + name);
        return value == null ? null : percentDecode(value);
    }

    @Override
    protected void makeUndeliverable(String aggregateType) {
        server.respond("/" + aggregateType, n -> Response.status(400));
    }

    @Override
    protected void stopServer() {
        server.stop();
    }

    @Override
    protected void startServer() throws Exception {
        server.restart();
    }

    @Override
    protected void cleanUp(String aggregateType) {
        server.close();
    }

    @Test
    void signsEveryRequestSoThatAnIndependentHmacAndTheVerifierAcceptIt() throws Exception {
        List<OutboxEvent> events = write(aggregateType, 20, 5);
        startRelay(transport(Map.of()), fast());
        awaitAllPublished(db, WAIT);

        List<WebhookServer.Request> requests = server.accepted("/" + aggregateType);
        assertThat(requests).hasSize(events.size());
        byte[] key = Base64.getDecoder().decode(SECRET.substring("whsec_".length()));
        WebhookVerifier verifier = WebhookVerifier.of(List.of(SECRET));
        for (WebhookServer.Request r : requests) {
            String id = r.header("webhook-id");
            String timestamp = r.header("webhook-timestamp");
            assertThat(id).isEqualTo(r.header("ce-id"));
            assertThat(Long.parseLong(timestamp)).isCloseTo(Instant.now().getEpochSecond(), within(60L));
            String expected = "v1," + independentHmac(key, id + "." + timestamp + ".", r.body());
            assertThat(r.header("webhook-signature")).isEqualTo(expected);
            assertThatCode(() -> verifier.verify(id, timestamp, r.header("webhook-signature"), r.body()))
                    .doesNotThrowAnyException();
            assertThat(r.header("content-type")).isEqualTo("application/json");
            assertThat(r.header("ce-datacontenttype")).as("the binding maps it to Content-Type").isNull();
            assertThat(r.header("ce-aggregatetype")).isEqualTo(aggregateType);
            assertThat(r.header("traceparent")).as("plain W3C header too").isEqualTo(TRACEPARENT);
            assertThat(r.header("ce-traceparent")).isEqualTo(TRACEPARENT);
            assertThat(r.header("x-tenant")).as("other headers unprefixed").isEqualTo("acme");
        }
    }

    @Test
    void rotatedSecretsSignWithEachSoAReceiverKnowingEitherVerifies() throws Exception {
        write(aggregateType, 3, 3);
        startRelay(transport(Map.of(WebhookSettings.SECRETS.env(), SECRET + "," + NEW_SECRET)), fast());
        awaitAllPublished(db, WAIT);

        for (WebhookServer.Request r : server.accepted("/" + aggregateType)) {
            String signature = r.header("webhook-signature");
            assertThat(signature.split(" ")).hasSize(2).allMatch(s -> s.startsWith("v1,"));
            String id = r.header("webhook-id");
            String ts = r.header("webhook-timestamp");
            assertThatCode(() -> WebhookVerifier.of(List.of(SECRET)).verify(id, ts, signature, r.body()))
                    .doesNotThrowAnyException();
            assertThatCode(() -> WebhookVerifier.of(List.of(NEW_SECRET)).verify(id, ts, signature, r.body()))
                    .doesNotThrowAnyException();
            String other = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
            assertThatThrownBy(() -> WebhookVerifier.of(List.of(other)).verify(id, ts, signature, r.body()))
                    .isInstanceOf(WebhookVerifier.VerificationException.class);
        }
    }

    @Test
    void goneEndpointMakesTheEventDeadAtOnceWhateverTheNonRetryableAttempts() throws Exception {
        server.respond("/" + aggregateType, n -> Response.status(410));
        write(aggregateType, 1, 1);
        startRelay(transport(Map.of()), fast().maxNonRetryableAttempts(5)); // 410 ignores it

        await("the event is dead", WAIT, () -> db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL") == 1);
        assertThat(db.queryLong("SELECT attempts FROM outbox.event")).isEqualTo(1);
        assertThat(db.queryString("SELECT last_error FROM outbox.event")).startsWith("non-retryable: HTTP 410");
        assertThat(server.requests("/" + aggregateType)).hasSize(1);
    }

    @Test
    void retryAfterIsHonouredNoRequestReachesTheServerBeforeItThenTheEventIsDelivered() throws Exception {
        server.respond("/" + aggregateType, n -> n == 0
                ? new Response(429, Map.of("Retry-After", "2"), Duration.ZERO) : Response.status(200));
        write(aggregateType, 1, 1);
        startRelay(transport(Map.of()), fast());

        awaitAllPublished(db, WAIT);
        List<WebhookServer.Request> requests = server.requests("/" + aggregateType);
        assertThat(requests).extracting(WebhookServer.Request::status).containsExactly(429, 200);
        assertThat(Duration.between(requests.get(0).at(), requests.get(1).at()))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        assertThat(db.queryLong("SELECT attempts FROM outbox.event_history")).as("waiting charged no attempts").isEqualTo(1);
    }

    /** A receiver that does not answer in time is an outage: the relay retries without charging the event. */
    @Test
    void aSlowEndpointTimesOutIsRetriedAndTheEventIsDeliveredOnceItIsFast() throws Exception {
        AtomicBoolean slow = new AtomicBoolean(true);
        server.respond("/" + aggregateType, n -> slow.get()
                ? new Response(200, Map.of(), Duration.ofSeconds(2)) : Response.status(200));
        write(aggregateType, 1, 1);
        Relay relay = startRelay(transport(Map.of(WebhookSettings.TIMEOUT.env(), "300ms")), fast().maxAttempts(1));

        await("two timed-out attempts", WAIT, () -> relay.stats().transportErrors() >= 2);
        assertThat(server.requests("/" + aggregateType)).hasSizeGreaterThanOrEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE published_at IS NULL")).isEqualTo(1);
        assertThat(db.queryLong("SELECT attempts FROM outbox.event")).as("not charged").isZero();
        slow.set(false);
        awaitAllPublished(db, WAIT);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL")).isZero();
    }

    /**
     * A receiver that closes the connection without answering, a port where nothing listens and a
     * receiver that never answers (behind a stalled proxy) are outages, not charged to the events;
     * the other requests of the batch are delivered.
     */
    @Test
    void connectionErrorsOnSomeRequestsOfABatchAreOutagesNotCharged() {
        server.respond("/" + aggregateType + "drop", n -> Response.drop());
        try (StallingProxy stalled = StallingProxy.to("127.0.0.1", server.port())) {
            stalled.stall();
            Map<String, String> routes = Map.of(Router.ROUTES.env(), aggregateType + "refused=http://127.0.0.1:1/refused,"
                    + aggregateType + "stalled=http://" + stalled.address() + "/" + aggregateType + "stalled",
                    WebhookSettings.TIMEOUT.env(), "1s");
            try (Transport transport = transport(routes)) {
                List<SendResult> results = transport.send(List.of(message(aggregateType, "ok"),
                        message(aggregateType + "drop", "dropped"), message(aggregateType + "refused", "refused"),
                        message(aggregateType + "stalled", "stalled")));

                assertThat(results.get(0).isAcknowledged()).isTrue();
                assertThat(results.subList(1, 4)).allSatisfy(r -> {
                    assertThat(r.isAcknowledged()).isFalse();
                    assertThat(r.failure().outage()).as("an outage: %s", r.failure().getMessage()).isTrue();
                });
                assertThat(results.get(1).failure().getMessage()).contains("/" + aggregateType + "drop");
                assertThat(results.get(2).failure().getMessage()).contains("cannot connect", "127.0.0.1:1");
                assertThat(results.get(3).failure().getMessage()).contains("no response", "within");
            }
        }
        assertThat(server.accepted("/" + aggregateType)).hasSize(1);
    }

    /** A token in a URL's query shows nowhere: not for an unreachable URL, nor in a redirect's Location, nor in logs. */
    @Test
    void noQueryTokenShowsInErrorsStackTracesOrLogs() {
        server.respond("/" + aggregateType, n -> new Response(302,
                Map.of("Location", "https://elsewhere.example/in?token=QueryMark2"), Duration.ZERO));
        StringBuilder shown = new StringBuilder();
        try (CapturedLogs logs = CapturedLogs.start();
             Transport transport = transport(Map.of(Router.ROUTES.env(), aggregateType
                     + "down=http://127.0.0.1:1/hook?token=QueryMark1,"
                     + aggregateType + "=" + server.url("/" + aggregateType) + "?token=QueryMark3"))) {
            List<SendResult> results = transport.send(List.of(message(aggregateType, "redirected"),
                    message(aggregateType + "down", "down")));
            assertThat(results).noneMatch(SendResult::isAcknowledged);
            results.forEach(r -> shown.append(r.failure().getMessage()).append(CapturedLogs.stackTrace(r.failure())));
            // The transport's own lines. At DEBUG the JDK's HttpClient logs request URLs itself
            // (logger jdk.internal.httpclient.debug): the sidecar's log redaction has to mask those.
            shown.append(logs.text("dev.outbox."));
        }
        assertThat(shown.toString()).contains("cannot connect", "redirect").doesNotContain("QueryMark");
    }

    @Test
    void aBatchNoRequestOfWhichIsAnsweredFailsAsAWholeOutage() {
        server.respond("/" + aggregateType, n -> Response.drop());
        try (Transport transport = transport(Map.of())) {
            assertThatThrownBy(() -> transport.send(List.of(message(aggregateType, "a"), message(aggregateType, "b"))))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue())
                    .hasMessageContaining("no webhook endpoint of the batch answered");
        }
    }

    @Test
    void aPayloadTooLargeAnswerIsPermanentAndNamesTheSize() {
        server.respond("/" + aggregateType, n -> Response.status(413));
        try (Transport transport = transport(Map.of())) {
            OutboxMessage m = message(aggregateType, "big");
            List<SendResult> results = transport.send(List.of(m));

            assertThat(results).singleElement().satisfies(r -> {
                assertThat(r.failure().retryable()).isFalse();
                assertThat(r.failure().outage()).isFalse();
                assertThat(r.failure().getMessage()).contains("HTTP 413", "Payload Too Large",
                        m.payload().getBytes(StandardCharsets.UTF_8).length + " bytes");
            });
        }
    }

    @Test
    void redirectsAreNotFollowedAndArePermanent() {
        server.respond("/" + aggregateType, n -> new Response(302, Map.of("Location", "/elsewhere"), Duration.ZERO));
        try (Transport transport = transport(Map.of())) {
            List<SendResult> results = transport.send(List.of(message(aggregateType, "k")));

            assertThat(results).singleElement().satisfies(r -> {
                assertThat(r.isAcknowledged()).isFalse();
                assertThat(r.failure().retryable()).isFalse();
                assertThat(r.failure().getMessage()).contains("302", "redirect", "/elsewhere");
            });
        }
        assertThat(server.requests("/elsewhere")).isEmpty();
    }

    @Test
    void batchModeSendsOneSignedCloudEventsBatchPerDestination() throws Exception {
        List<OutboxMessage> messages = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            messages.add(message(i % 2 == 0 ? aggregateType : aggregateType + "b", "k" + i));
        }
        List<SendResult> results;
        try (Transport transport = transport(Map.of(WebhookSettings.BATCH.env(), "true"))) {
            results = transport.send(messages);
        }

        assertThat(results).hasSize(10).allMatch(SendResult::isAcknowledged);
        Map<String, OutboxMessage> byId = new HashMap<>();
        messages.forEach(m -> byId.put(m.id().toString(), m));
        Set<String> ids = new HashSet<>();
        for (String path : List.of("/" + aggregateType, "/" + aggregateType + "b")) {
            assertThat(server.requests(path)).singleElement().satisfies(r -> {
                assertThat(r.header("content-type")).isEqualTo("application/cloudevents-batch+json");
                assertThatCode(() -> WebhookVerifier.of(List.of(SECRET)).verify(r.header("webhook-id"),
                        r.header("webhook-timestamp"), r.header("webhook-signature"), r.body())).doesNotThrowAnyException();
                JsonArray array;
                try (JsonReader reader = Json.createReader(new StringReader(new String(r.body(), StandardCharsets.UTF_8)))) {
                    array = reader.readArray();
                }
                assertThat(array).hasSize(5);
                for (JsonObject e : array.getValuesAs(JsonObject.class)) {
                    OutboxMessage m = byId.get(e.getString("id"));
                    assertThat(e.getString("specversion")).isEqualTo("1.0");
                    assertThat(e.getString("subject")).isEqualTo(m.aggregateId());
                    assertThat(e.getString("traceparent")).isEqualTo(TRACEPARENT);
                    try (JsonReader payload = Json.createReader(new StringReader(m.payload()))) {
                        assertThat(e.get("data")).isEqualTo(payload.readValue());
                    }
                    ids.add(e.getString("id"));
                }
            });
        }
        assertThat(ids).hasSize(10);
    }

    @Test
    void batchModeGivesEveryEventOfARequestItsResult() {
        server.respond("/" + aggregateType, n -> Response.status(422));
        try (Transport transport = transport(Map.of(WebhookSettings.BATCH.env(), "true"))) {
            List<SendResult> results = transport.send(List.of(message(aggregateType, "a"), message(aggregateType, "b"),
                    message(aggregateType + "ok", "c")));

            assertThat(results.subList(0, 2)).allSatisfy(r -> {
                assertThat(r.isAcknowledged()).isFalse();
                assertThat(r.failure().retryable()).isFalse();
            });
            assertThat(results.get(2).isAcknowledged()).isTrue();
        }
    }

    private static OutboxMessage message(String aggregateType, String key) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, key, "ThingHappened",
                "{\"text\": \"äö € 😀\", \"n\": 1}", Map.of("traceparent", TRACEPARENT, "X-Tenant", "acme"),
                Instant.parse("2026-11-26T12:00:00.123Z"), 1);
    }

    /** HMAC-SHA256 computed here with javax.crypto, independently of the transport's signer. */
    private static String independentHmac(byte[] key, String prefix, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        ByteArrayOutputStream signed = new ByteArrayOutputStream();
        signed.write(prefix.getBytes(StandardCharsets.UTF_8));
        signed.write(body);
        return Base64.getEncoder().encodeToString(mac.doFinal(signed.toByteArray()));
    }

    /** CloudEvents HTTP binding percent-decoding (not URLDecoder: '+' stays '+'). */
    static String percentDecode(String value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%' && i + 2 < value.length()) {
                bytes.write(Integer.parseInt(value.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.write(c);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
