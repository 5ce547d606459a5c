package dev.outbox.relay.transport.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RedisStreamFieldsTest {
    private static final UUID ID = UUID.fromString("0192f0c4-1d2e-7a3b-8c4d-5e6f708192a3");
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static OutboxMessage message(String payload, Map<String, String> headers) {
        return new OutboxMessage(ID, 7, "Order", "o-42", "OrderPlaced", payload, headers,
                Instant.parse("2026-11-26T12:00:00.123Z"), 1);
    }

    @Test
    void writesAttributesWithCePrefixThenOtherHeadersWithHPrefixThenData() {
        Map<String, String> fields = RedisStreamFields.of(CloudEvent.of(message("{\"total\": 12.50}",
                Map.of("traceparent", TRACEPARENT, "correlationid", "req-1", "X-Tenant", "acme")), "/orders"));

        assertThat(fields).containsExactly(
                Map.entry("ce_specversion", "1.0"),
                Map.entry("ce_id", ID.toString()),
                Map.entry("ce_source", "/orders"),
                Map.entry("ce_type", "OrderPlaced"),
                Map.entry("ce_subject", "o-42"),
                Map.entry("ce_time", "2026-11-26T12:00:00.123Z"),
                Map.entry("ce_datacontenttype", "application/json"),
                Map.entry("ce_aggregatetype", "Order"),
                Map.entry("ce_correlationid", "req-1"),
                Map.entry("ce_traceparent", TRACEPARENT),
                Map.entry("h_X-Tenant", "acme"),
                Map.entry("data", "{\"total\": 12.50}"));
    }

    @Test
    void keepsThePayloadTextExactlyAsStored() {
        String payload = "{\"text\": \"äö € 😀\",  \"n\":1.0}";

        assertThat(RedisStreamFields.of(CloudEvent.of(message(payload, Map.of()), "/s")).get("data"))
                .isEqualTo(payload);
    }

    @Test
    void headersNamedLikeOtherFieldsCannotOverwriteThem() {
        // "data" is reserved in CloudEvents, "ce_id" is no valid attribute name: both are plain headers.
        Map<String, String> fields = RedisStreamFields.of(CloudEvent.of(message("{}",
                Map.of("data", "not the payload", "ce_id", "not the id")), "/s"));

        assertThat(fields).containsEntry("data", "{}").containsEntry("ce_id", ID.toString())
                .containsEntry("h_data", "not the payload").containsEntry("h_ce_id", "not the id");
    }
}
