package dev.outbox.relay.transport.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SqsMessagesTest {
    private static final UUID ID = UUID.fromString("0192f0c4-1d2e-7a3b-8c4d-5e6f708192a3");
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static OutboxMessage message(String aggregateType, String aggregateId, Map<String, String> headers) {
        return new OutboxMessage(ID, 7, aggregateType, aggregateId, "OrderPlaced", "{\"total\": 12.50}", headers,
                Instant.parse("2026-11-26T12:00:00.123Z"), 1);
    }

    @Test
    void writesTheContextAttributesAndTraceparentAloneAndPacksTheRestIntoOneJsonAttribute() {
        Map<String, String> attributes = SqsMessages.attributes(CloudEvent.of(message("Order", "o-42",
                Map.of("traceparent", TRACEPARENT, "correlationid", "req-1", "X-Tenant", "acme")), "/orders"));

        assertThat(attributes).containsExactly(
                Map.entry("ce-specversion", "1.0"),
                Map.entry("ce-id", ID.toString()),
                Map.entry("ce-source", "/orders"),
                Map.entry("ce-type", "OrderPlaced"),
                Map.entry("ce-subject", "o-42"),
                Map.entry("ce-time", "2026-11-26T12:00:00.123Z"),
                Map.entry("ce-datacontenttype", "application/json"),
                Map.entry("ce-aggregatetype", "Order"),
                Map.entry("ce-traceparent", TRACEPARENT),
                Map.entry("outbox-extra", "{\"ce-correlationid\":\"req-1\",\"h-X-Tenant\":\"acme\"}"));
    }

    @Test
    void staysWithinTheTenAttributesOfSqsWhateverTheHeaders() {
        Map<String, String> headers = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            headers.put("ext" + i, "v" + i);
            headers.put("X-Header-" + i, "\"quoted\"\n\\");
        }
        headers.put("traceparent", TRACEPARENT);

        Map<String, String> attributes = SqsMessages.attributes(CloudEvent.of(message("Order", "o-1", headers), "/s"));

        assertThat(attributes).hasSize(SqsMessages.MAX_ATTRIBUTES);
        assertThat(attributes.get("outbox-extra")).contains("\"ce-ext7\":\"v7\"")
                .contains("\"h-X-Header-3\":\"\\\"quoted\\\"\\n\\\\\"");
    }

    @Test
    void leavesOutEmptyValuesWhichSqsRefusesAndTheExtraAttributeWhenNothingIsLeft() {
        Map<String, String> attributes = SqsMessages.attributes(CloudEvent.of(message("Order", "o-1",
                Map.of("traceparent", "", "X-Empty", "")), "/s"));

        assertThat(attributes).hasSize(8).doesNotContainKeys("ce-traceparent", "outbox-extra");
    }

    @Test
    void theGroupIdIsTheKeyWhenSqsTakesItAndItsHashOtherwise() {
        assertThat(SqsMessages.groupId(message("Order", "o-42", Map.of()))).isEqualTo("Order/o-42");
        String longest = "a".repeat(128 - "Order/".length());
        assertThat(SqsMessages.groupId(message("Order", longest, Map.of()))).isEqualTo("Order/" + longest);

        String tooLong = SqsMessages.groupId(message("Order", longest + "b", Map.of()));
        String spaced = SqsMessages.groupId(message("Order", "o 42", Map.of()));
        String nonAscii = SqsMessages.groupId(message("Order", "Müller", Map.of()));
        assertThat(tooLong).matches("sha256-[0-9a-f]{64}").isNotEqualTo(spaced);
        assertThat(spaced).matches("sha256-[0-9a-f]{64}");
        assertThat(nonAscii).matches("sha256-[0-9a-f]{64}")
                .isEqualTo(SqsMessages.groupId(message("Order", "Müller", Map.of())))
                .isNotEqualTo(SqsMessages.groupId(message("Order", "Mueller", Map.of())));
        assertThat(tooLong.length()).isLessThanOrEqualTo(SqsMessages.MAX_GROUP_ID);
    }

    @Test
    void countsTheSizeAsSqsDoesInUtf8BytesOfBodyAndAttributes() {
        assertThat(SqsMessages.size("{}", Map.of())).isEqualTo(2);
        // "ä" 2 bytes, "€" 3 bytes, "😀" 4 bytes (a surrogate pair)
        assertThat(SqsMessages.size("ä€😀", Map.of())).isEqualTo(9);
        assertThat(SqsMessages.size("{}", Map.of("ce-id", "x"))).isEqualTo(2 + 5 + 6 + 1);
    }
}
