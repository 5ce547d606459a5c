package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OutboxEventTest {
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static OutboxEvent.Builder order() {
        return OutboxEvent.builder("Order", "42", "OrderPlaced");
    }

    @Test
    void buildsEventWithGeneratedUuidV7AndGivenFields() {
        JsonObject payload = Json.createObjectBuilder().add("total", 12.5).build();
        Instant before = Instant.now().minusMillis(1);
        OutboxEvent e = order().payload(payload).build();

        assertThat(e.id().version()).isEqualTo(7);
        assertThat(e.aggregateType()).isEqualTo("Order");
        assertThat(e.aggregateId()).isEqualTo("42");
        assertThat(e.type()).isEqualTo("OrderPlaced");
        assertThat(e.payload()).isEqualTo(payload);
        assertThat(e.payloadJson()).isEqualTo("{\"total\":12.5}");
        assertThat(e.occurredAt()).isAfter(before).isBefore(Instant.now().plusMillis(1));
        assertThat(e.headers()).isEmpty();
    }

    @Test
    void keepsGivenIdAndTruncatesOccurredAtToMicroseconds() {
        UUID id = UUID.randomUUID();
        OutboxEvent e = order().id(id).payload("{}").occurredAt(Instant.parse("2026-01-02T03:04:05.123456789Z")).build();
        assertThat(e.id()).isEqualTo(id);
        assertThat(e.occurredAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123456Z"));
    }

    @Test
    void acceptsJsonArrayPayload() {
        assertThat(order().payload("[1, 2, {\"a\": null}]").build().payloadJson()).isEqualTo("[1,2,{\"a\":null}]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\": ", "not json", "{\"a\": 1} trailing", "{'a': 1}", ""})
    void rejectsPayloadThatIsNotJson(String json) {
        assertThatThrownBy(() -> order().payload(json))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.payload is not valid JSON");
    }

    @ParameterizedTest
    @ValueSource(strings = {"42", "\"text\"", "true", "null"})
    void rejectsJsonScalarPayload(String json) {
        assertThatThrownBy(() -> order().payload(json))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("event.payload must be a JSON object or array");
    }

    @Test
    void rejectsDuplicateKeysBecauseJsonbWouldDropOne() {
        assertThatThrownBy(() -> order().payload("{\"a\": 1, \"a\": 2}"))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void rejectsMissingPayload() {
        assertThatThrownBy(() -> order().build())
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("event.payload is required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t\n"})
    void rejectsBlankType(String type) {
        assertThatThrownBy(() -> OutboxEvent.builder("Order", "42", type))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.type must not be blank");
    }

    @Test
    void rejectsNullOrBlankAggregateIdentifiers() {
        assertThatThrownBy(() -> OutboxEvent.builder(null, "42", "OrderPlaced"))
                .isInstanceOf(OutboxException.class).hasMessage("event.aggregateType must not be blank (was null)");
        assertThatThrownBy(() -> OutboxEvent.builder("Order", " ", "OrderPlaced"))
                .isInstanceOf(OutboxException.class).hasMessage("event.aggregateId must not be blank (was \" \")");
    }

    @Test
    void rejectsOverlongAggregateId() {
        String id = "x".repeat(256);
        assertThatThrownBy(() -> OutboxEvent.builder("Order", id, "OrderPlaced"))
                .isInstanceOf(OutboxException.class)
                .hasMessage("event.aggregateId must be at most 255 characters (was 256)");
        assertThat(OutboxEvent.builder("Order", "x".repeat(255), "OrderPlaced").payload("{}").build().aggregateId())
                .hasSize(255);
    }

    @Test
    void rejectsTwoMebibytePayloadWithDefaultLimit() {
        String big = "{\"blob\":\"" + "a".repeat(2 * 1024 * 1024) + "\"}";
        assertThatThrownBy(() -> order().payload(big).build())
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("event.payload must be at most 1048576 bytes (was 2097163 bytes)");
    }

    @Test
    void measuresPayloadLimitInUtf8BytesAndAcceptsExactlyTheLimit() {
        // "é" is 2 bytes in UTF-8: {"s":"éé"} is 8 ASCII bytes + 4 = 12 bytes, 10 chars.
        OutboxEvent.Builder builder = order().payload("{\"s\":\"éé\"}");
        assertThat(builder.maxPayloadBytes(12).build().payloadJson()).isEqualTo("{\"s\":\"éé\"}");
        assertThatThrownBy(() -> builder.maxPayloadBytes(11).build())
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("at most 11 bytes (was 12 bytes)");
    }

    @Test
    void rejectsNonsensicalPayloadLimit() {
        assertThatThrownBy(() -> order().maxPayloadBytes(0))
                .isInstanceOf(OutboxException.class)
                .hasMessage("event.maxPayloadBytes must be >= 2 (was 0)");
    }

    @Test
    void rejectsNulCharacterThatPostgresCannotStore() {
        assertThatThrownBy(() -> order().payload("{\"a\":\"x\\u0000y\"}").build())
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("NUL");
        // An escaped backslash followed by the text u0000 is fine.
        assertThat(order().payload("{\"a\":\"\\\\u0000\"}").build().payloadJson()).isEqualTo("{\"a\":\"\\\\u0000\"}");
        assertThatThrownBy(() -> order().header("h", "a\0b"))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("NUL");
    }

    @Test
    void storesTraceparentAndCorrelationIdAsHeaders() {
        OutboxEvent e = order().payload("{}").traceparent(TRACEPARENT).correlationId("req-7").header("tenant", "acme").build();
        assertThat(e.headers()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "traceparent", TRACEPARENT, "correlationid", "req-7", "tenant", "acme"));
        assertThat(e.traceparent()).contains(TRACEPARENT);
        assertThat(e.correlationId()).contains("req-7");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "garbage",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
    })
    void rejectsInvalidTraceparentAlsoWhenPassedAsHeader(String traceparent) {
        assertThatThrownBy(() -> order().traceparent(traceparent))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.headers.traceparent must be a W3C traceparent");
        assertThatThrownBy(() -> order().header("traceparent", traceparent))
                .isInstanceOf(OutboxException.class);
    }

    @Test
    void headersAreImmutable() {
        OutboxEvent e = order().payload("{}").header("a", "1").build();
        assertThatThrownBy(() -> e.headers().put("b", "2")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void toStringLeavesOutPayloadAndHeaders() {
        OutboxEvent e = order().payload("{\"email\":\"a@b.c\"}").header("authorization", "secret").build();
        assertThat(e.toString()).contains(e.id().toString(), "OrderPlaced").doesNotContain("a@b.c", "secret");
    }

    @Test
    void eventsWithSameContentAreEqual() {
        UUID id = UUID.randomUUID();
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        OutboxEvent a = order().id(id).occurredAt(at).payload("{\"x\": 1}").header("h", "v").build();
        OutboxEvent b = order().id(id).occurredAt(at).payload(Json.createObjectBuilder().add("x", 1).build())
                .headers(Map.of("h", "v")).build();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(order().id(id).occurredAt(at).payload("{\"x\": 2}").header("h", "v").build());
    }
}
