package dev.outbox.relay.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.transport.CloudEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class WebhookHeadersTest {
    static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void percentEncodesAsTheHttpBindingRequires() {
        assertThat(WebhookHeaders.percentEncode("Euro € 😀")).isEqualTo("Euro%20%E2%82%AC%20%F0%9F%98%80");
        assertThat(WebhookHeaders.percentEncode("say \"100%\"")).isEqualTo("say%20%22100%25%22");
        assertThat(WebhookHeaders.percentEncode("tab\there\u007f")).isEqualTo("tab%09here%7F");
        assertThat(WebhookHeaders.percentEncode("/orders-service?a=b&c+d")).isEqualTo("/orders-service?a=b&c+d");
    }

    @Test
    void mapsAttributesToCeHeadersContentTypeAndPlainTraceContext() {
        CloudEvent event = CloudEvent.of(message(Map.of("traceparent", TP, "tracestate", "a=b", "correlationid", "r 1")),
                "/svc");
        List<String> dropped = new ArrayList<>();

        Map<String, String> headers = asMap(WebhookHeaders.of(event, Map.of(), dropped));

        assertThat(headers).containsEntry("Content-Type", "application/json")
                .containsEntry("ce-specversion", "1.0").containsEntry("ce-id", event.id())
                .containsEntry("ce-source", "/svc").containsEntry("ce-type", "OrderPlaced")
                .containsEntry("ce-subject", "o%201").containsEntry("ce-time", "2026-11-26T12:00:00.123Z")
                .containsEntry("ce-aggregatetype", "Order").containsEntry("ce-correlationid", "r%201")
                .containsEntry("ce-traceparent", TP).containsEntry("traceparent", TP).containsEntry("tracestate", "a=b")
                .doesNotContainKey("ce-datacontenttype");
        assertThat(dropped).isEmpty();
    }

    @Test
    void dropsEventHeadersThatCannotOrMustNotTravelAndLetsConfiguredHeadersWin() {
        Map<String, String> stored = new LinkedHashMap<>();
        stored.put("X-Tenant", "acme ü");
        stored.put("Connection", "close");
        stored.put("Host", "evil");
        stored.put("Transfer-Encoding", "chunked");
        stored.put("Content-Type", "text/plain");
        stored.put("webhook-signature", "v1,forged");
        stored.put("ce-id", "forged");
        stored.put("with space", "x");
        stored.put("Authorization", "from the event");
        CloudEvent event = CloudEvent.of(message(stored), "/svc");
        List<String> dropped = new ArrayList<>();

        List<WebhookHeaders.Header> headers = WebhookHeaders.of(event, Map.of("Authorization", "Bearer configured"), dropped);

        assertThat(asMap(headers)).containsEntry("X-Tenant", "acme%20%C3%BC")
                .containsEntry("Authorization", "Bearer configured")
                .containsEntry("Content-Type", "application/json").doesNotContainKeys("Connection", "Host",
                        "Transfer-Encoding", "webhook-signature", "with space");
        assertThat(headers).filteredOn(h -> h.name().equalsIgnoreCase("authorization")).hasSize(1);
        assertThat(dropped).containsExactlyInAnyOrder("Connection", "Host", "Transfer-Encoding", "Content-Type",
                "webhook-signature", "ce-id", "with space", "Authorization");
    }

    @Test
    void mapsStatusCodesToAcknowledgedRetryableOrPermanent() {
        assertThat(HttpTransport.failure(200, "u", null, "")).isNull();
        assertThat(HttpTransport.failure(204, "u", null, "")).isNull();
        for (int status : new int[] {408, 429, 500, 502, 503, 504}) {
            assertThat(HttpTransport.failure(status, "u", null, "").retryable()).as("%s", status).isTrue();
        }
        for (int status : new int[] {301, 302, 307, 400, 401, 403, 404, 410, 413, 422}) {
            assertThat(HttpTransport.failure(status, "u", null, "").retryable()).as("%s", status).isFalse();
        }
        TransportException gone = HttpTransport.failure(410, "http://h/p", null, "bye");
        assertThat(gone.getMessage()).isEqualTo("HTTP 410 from http://h/p: bye (Gone: the receiver retired this endpoint)");
    }

    @Test
    void readsRetryAfterAsSecondsOrHttpDateAndCapsIt() {
        Instant now = Instant.parse("2026-11-26T12:00:00Z");
        assertThat(HttpTransport.retryAfter("2", now)).isEqualTo(now.plusSeconds(2));
        assertThat(HttpTransport.retryAfter("Thu, 26 Nov 2026 12:00:30 GMT", now)).isEqualTo(now.plusSeconds(30));
        assertThat(HttpTransport.retryAfter("999999", now)).isEqualTo(now.plus(Duration.ofHours(1)));
        assertThat(HttpTransport.retryAfter("soon", now)).isNull();
        assertThat(HttpTransport.retryAfter(null, now)).isNull();
    }

    @Test
    void batchIdIsStableForTheSameEventsAndDiffersOtherwise() {
        CloudEvent a = CloudEvent.of(message(Map.of()), "/s");
        CloudEvent b = CloudEvent.of(message(Map.of()), "/s");

        assertThat(HttpTransport.batchId(List.of(a, b))).isEqualTo(HttpTransport.batchId(List.of(a, b)))
                .isNotEqualTo(HttpTransport.batchId(List.of(a))).startsWith("batch_");
        assertThat(HttpTransport.batchBody(List.of(a))).startsWith("[{\"specversion\":\"1.0\",")
                .endsWith(",\"data\":{\"total\": 1}}]");
    }

    private static Map<String, String> asMap(List<WebhookHeaders.Header> headers) {
        Map<String, String> map = new LinkedHashMap<>();
        headers.forEach(h -> map.put(h.name(), h.value()));
        return map;
    }

    private static OutboxMessage message(Map<String, String> headers) {
        return new OutboxMessage(UUID.randomUUID(), 1, "Order", "o 1", "OrderPlaced", "{\"total\": 1}", headers,
                Instant.parse("2026-11-26T12:00:00.123Z"), 1);
    }
}
