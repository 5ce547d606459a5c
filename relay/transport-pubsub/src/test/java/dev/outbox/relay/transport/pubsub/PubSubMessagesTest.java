package dev.outbox.relay.transport.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import dev.outbox.relay.spi.OutboxMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PubSubMessagesTest {
    private static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private final UUID id = UUID.randomUUID();

    private OutboxMessage message(Map<String, String> headers) {
        return new OutboxMessage(id, 7, "Order", "o-42 ü", "OrderPlaced", "{\"total\": 9.50, \"é\": \"😀\"}", headers,
                Instant.parse("2026-11-26T12:00:00.123456Z"), 1);
    }

    @Test
    void writesCloudEventsAttributesWithTheCePrefixAndTheContentTypeAsContentType() {
        PubsubMessage m = PubSubMessages.of(message(Map.of("traceparent", TP, "correlationid", "req-1",
                "X-Tenant", "acme")), "/orders-service");

        assertThat(m.getAttributesMap()).containsOnly(Map.entry("ce-specversion", "1.0"),
                Map.entry("ce-id", id.toString()), Map.entry("ce-source", "/orders-service"),
                Map.entry("ce-type", "OrderPlaced"), Map.entry("ce-subject", "o-42 ü"),
                Map.entry("ce-time", "2026-11-26T12:00:00.123456Z"), Map.entry("content-type", "application/json"),
                Map.entry("ce-aggregatetype", "Order"), Map.entry("ce-correlationid", "req-1"),
                Map.entry("ce-traceparent", TP), Map.entry("X-Tenant", "acme"));
    }

    @Test
    void ordersByAggregateTypeAndIdAndKeepsThePayloadBytes() {
        PubsubMessage m = PubSubMessages.of(message(Map.of()), "/outbox");

        assertThat(m.getOrderingKey()).isEqualTo("Order/o-42 ü");
        assertThat(m.getData().toByteArray()).isEqualTo("{\"total\": 9.50, \"é\": \"😀\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(PubSubMessages.size(m)).isGreaterThan(m.getData().size() + m.getOrderingKey().length());
    }

    @Test
    void leavesOutStoredHeadersThatWouldShadowTheAttributesOrThatPubSubReserves() {
        PubsubMessage m = PubSubMessages.of(message(Map.of("ce-type", "Spoofed", "Content-Type", "text/plain",
                "googId", "x", "type", "shadow")), "/outbox");

        assertThat(m.getAttributesMap()).containsEntry("ce-type", "OrderPlaced").doesNotContainKeys("Content-Type",
                "googId");
        assertThat(m.getAttributesMap()).as("a reserved attribute name travels unprefixed").containsEntry("type", "shadow");
    }
}
