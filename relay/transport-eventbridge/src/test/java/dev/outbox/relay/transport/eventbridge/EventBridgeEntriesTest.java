package dev.outbox.relay.transport.eventbridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;

class EventBridgeEntriesTest {
    private static final UUID ID = UUID.fromString("0192f0c4-1d2e-7a3b-8c4d-5e6f708192a3");
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static OutboxMessage message(String payload, Map<String, String> headers) {
        return new OutboxMessage(ID, 7, "Order", "o-42", "OrderPlaced", payload, headers,
                Instant.parse("2026-11-26T12:00:00.123Z"), 1);
    }

    private static JsonObject parse(String json) {
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            return reader.readObject();
        }
    }

    @Test
    void mapsBusSourceTypeTimeAndADetailHoldingTheCloudEventWithThePayloadAsData() {
        PutEventsRequestEntry entry = EventBridgeEntries.of(message("{\"total\": 12.50}",
                Map.of("traceparent", TRACEPARENT, "correlationid", "req-1")), "/shop", "orders-bus");

        assertThat(entry.eventBusName()).isEqualTo("orders-bus");
        assertThat(entry.source()).isEqualTo("/shop");
        assertThat(entry.detailType()).isEqualTo("OrderPlaced");
        assertThat(entry.time()).isEqualTo(Instant.parse("2026-11-26T12:00:00.123Z"));
        assertThat(entry.resources()).isEmpty();
        assertThat(entry.detail()).isEqualTo("{\"specversion\":\"1.0\",\"id\":\"" + ID + "\",\"source\":\"/shop\","
                + "\"type\":\"OrderPlaced\",\"subject\":\"o-42\",\"time\":\"2026-11-26T12:00:00.123Z\","
                + "\"datacontenttype\":\"application/json\",\"aggregatetype\":\"Order\",\"correlationid\":\"req-1\","
                + "\"traceparent\":\"" + TRACEPARENT + "\",\"data\":{\"total\": 12.50}}");
        assertThat(entry.traceHeader())
                .isEqualTo("Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=1");
    }

    /** Detail must be a JSON object: every payload is wrapped, so arrays and scalars travel as data. */
    @Test
    void anArrayOrScalarPayloadIsTheDataOfAnObjectDetail() {
        for (String payload : new String[] {"[1, 2, 3]", "\"just text\"", "42", "true", "null"}) {
            JsonObject detail = parse(EventBridgeEntries.of(message(payload, Map.of()), "/s", "b").detail());

            assertThat(detail.get("data")).as(payload)
                    .isEqualTo(Json.createReader(new StringReader(payload)).readValue());
            assertThat(detail.getString("id")).isEqualTo(ID.toString());
        }
    }

    @Test
    void otherHeadersTravelUnderTheirOwnMemberAndCannotOverwriteAttributesOrData() {
        JsonObject detail = parse(EventBridgeEntries.detail(CloudEvent.of(message("{\"a\":1}",
                Map.of("X-Tenant", "acme", "data", "not the payload", "ce_id", "not the id", "quote", "a\"b\\c\n")), "/s")));

        assertThat(detail.getJsonObject("data")).isEqualTo(parse("{\"a\":1}"));
        assertThat(detail.getString("id")).isEqualTo(ID.toString());
        assertThat(detail.getString("quote")).isEqualTo("a\"b\\c\n");
        assertThat(detail.getJsonObject(EventBridgeEntries.HEADERS)).isEqualTo(Json.createObjectBuilder()
                .add("X-Tenant", "acme").add("data", "not the payload").add("ce_id", "not the id").build());
    }

    @Test
    void noHeadersMemberWithoutOtherHeaders() {
        JsonObject detail = parse(EventBridgeEntries.detail(CloudEvent.of(message("{}", Map.of()), "/s")));

        assertThat(detail).doesNotContainKey(EventBridgeEntries.HEADERS);
        assertThat(detail.get("data")).isEqualTo(JsonValue.EMPTY_JSON_OBJECT);
    }

    @Test
    void keepsThePayloadTextAsStoredInsideDetail() {
        String payload = "{\"text\": \"äö € 😀\",  \"n\":1.0}";

        assertThat(EventBridgeEntries.of(message(payload, Map.of()), "/s", "b").detail()).endsWith(",\"data\":" + payload + "}");
    }

    @Test
    void derivesTheXRayTraceHeaderOnlyFromAValidTraceparent() {
        assertThat(EventBridgeEntries.traceHeader("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
                .isEqualTo("Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent=00f067aa0ba902b7;Sampled=0");
        assertThat(EventBridgeEntries.traceHeader(null)).isNull();
        assertThat(EventBridgeEntries.traceHeader("garbage")).isNull();
        assertThat(EventBridgeEntries.traceHeader("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
                .as("unknown version").isNull();
        assertThat(EventBridgeEntries.traceHeader("00-00000000000000000000000000000000-00f067aa0ba902b7-01"))
                .as("zero trace id").isNull();
        assertThat(EventBridgeEntries.traceHeader("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"))
                .as("zero parent id").isNull();
        assertThat(EventBridgeEntries.traceHeader("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"))
                .as("upper case is invalid in W3C").isNull();
        assertThat(EventBridgeEntries.of(message("{}", Map.of("traceparent", "nonsense")), "/s", "b").traceHeader())
                .isNull();
    }

    @Test
    void countsTheSizeAsAwsDoesSourceDetailTypeDetailResourcesAndFourteenBytesForTime() {
        PutEventsRequestEntry entry = PutEventsRequestEntry.builder().eventBusName("not counted")
                .traceHeader("not counted either").source("/ö").detailType("T€").detail("{\"a\":\"😀\"}")
                .resources("arn:x", "arn:yy").time(Instant.EPOCH).build();

        int expected = "/ö".getBytes(StandardCharsets.UTF_8).length + "T€".getBytes(StandardCharsets.UTF_8).length
                + "{\"a\":\"😀\"}".getBytes(StandardCharsets.UTF_8).length + 5 + 6 + 14;
        assertThat(EventBridgeEntries.size(entry)).isEqualTo(expected);
        assertThat(EventBridgeEntries.size(entry.toBuilder().time(null).build())).isEqualTo(expected - 14);
    }
}
