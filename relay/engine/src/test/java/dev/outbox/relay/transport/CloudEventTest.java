package dev.outbox.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CloudEventTest {

    @Test
    void mapsTheEventToCloudEventsAttributesAndKeepsThePayloadBytes() {
        UUID id = UUID.randomUUID();
        String tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        OutboxMessage m = new OutboxMessage(id, 7, "Order", "o-42", "OrderPlaced", "{\"total\": 9.50, \"é\": 1}",
                Map.of("traceparent", tp, "correlationid", "req-1", "X-Tenant", "acme", "type", "shadow"),
                Instant.parse("2026-11-26T12:00:00.123456Z"), 1);

        CloudEvent ce = CloudEvent.of(m, "/orders-service");

        assertThat(ce.attributes()).containsExactly(
                Map.entry("specversion", "1.0"), Map.entry("id", id.toString()), Map.entry("source", "/orders-service"),
                Map.entry("type", "OrderPlaced"), Map.entry("subject", "o-42"),
                Map.entry("time", "2026-11-26T12:00:00.123456Z"), Map.entry("datacontenttype", "application/json"),
                Map.entry("aggregatetype", "Order"), Map.entry("correlationid", "req-1"), Map.entry("traceparent", tp));
        assertThat(ce.otherHeaders()).as("not valid or reserved attribute names travel as plain headers")
                .containsOnly(Map.entry("X-Tenant", "acme"), Map.entry("type", "shadow"));
        assertThat(ce.dataBytes()).isEqualTo("{\"total\": 9.50, \"é\": 1}".getBytes(StandardCharsets.UTF_8));
    }
}
