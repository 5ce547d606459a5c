package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.time.Instant;
import java.util.List;
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
    void acceptsJsonArrayPayloadAndKeepsItsTextAsGiven() {
        OutboxEvent e = order().payload("[1, 2, {\"a\": null}]").build();
        assertThat(e.payloadJson()).isEqualTo("[1, 2, {\"a\": null}]");
        assertThat(e.payload()).isEqualTo(Json.createArrayBuilder().add(1).add(2)
                .add(Json.createObjectBuilder().addNull("a")).build());
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
    @ValueSource(strings = {"", " ", "\t\n", "\u3000", "\u001c\u2028"})
    void rejectsBlankType(String type) {
        assertThatThrownBy(() -> OutboxEvent.builder("Order", "42", type))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.type must not be blank");
    }

    @Test
    void rejectsNullOrBlankAggregateIdentifiers() {
        assertThatThrownBy(() -> OutboxEvent.builder(null, "42", "OrderPlaced"))
                .isInstanceOf(OutboxException.class)
                .hasMessage("event.aggregateType must not be blank: it needs a character that is not whitespace (was null)");
        assertThatThrownBy(() -> OutboxEvent.builder("Order", " ", "OrderPlaced"))
                .isInstanceOf(OutboxException.class)
                .hasMessage("event.aggregateId must not be blank: it needs a character that is not whitespace (was \" \")");
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
                .hasMessageContaining("event.payload must be at most 1048576 bytes of JSON as PostgreSQL prints it,"
                        + " octet_length(payload::text) (was 2097164 bytes); the schema's limit, CHECK event_payload_size_check");
    }

    @Test
    void measuresPayloadLimitInUtf8BytesAndAcceptsExactlyTheLimit() {
        // "é" is 2 bytes in UTF-8: {"s": "éé"} as PostgreSQL prints it is 9 ASCII bytes + 4 = 13 bytes.
        OutboxEvent.Builder builder = order().payload("{\"s\":\"éé\"}");
        assertThat(builder.maxPayloadBytes(13).build().payloadJson()).isEqualTo("{\"s\":\"éé\"}");
        assertThatThrownBy(() -> builder.maxPayloadBytes(12).build())
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("at most 12 bytes of JSON as PostgreSQL prints it, octet_length(payload::text) (was 13 bytes)");
    }

    @Test
    void rejectsNonsensicalPayloadLimitAndALimitAboveTheSchemas() {
        assertThatThrownBy(() -> order().maxPayloadBytes(0))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.maxPayloadBytes must be between 2 and 1048576 (was 0)");
        assertThatThrownBy(() -> order().maxPayloadBytes(OutboxEvent.MAX_PAYLOAD_BYTES + 1))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("(was 1048577): it may lower the schema's limit, never raise it")
                .hasMessageContaining("event_payload_size_check");
    }

    @Test
    void measuresThePayloadAsPostgresqlPrintsIt() {
        // Sent as {"n": 1e3} (10 bytes); stored and printed as {"n": 1000} (11 bytes).
        assertThat(order().payload("{\"n\": 1e3}").maxPayloadBytes(11).build().payloadJson()).isEqualTo("{\"n\": 1e3}");
        assertThatThrownBy(() -> order().payload("{\"n\": 1e3}").maxPayloadBytes(10).build())
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("event.payload must be at most 10 bytes of JSON as PostgreSQL prints it,"
                        + " octet_length(payload::text) (was 11 bytes); this builder's maxPayloadBytes");
    }

    @Test
    void rejectsOccurredAtThatRfc3339CannotWrite() {
        for (Instant at : List.of(Instant.MAX, Instant.MIN, Instant.parse("-0001-01-01T00:00:00Z"),
                Instant.parse("+10000-01-01T00:00:00Z"))) {
            assertThatThrownBy(() -> order().occurredAt(at))
                    .isInstanceOf(OutboxException.class)
                    .hasMessageStartingWith("event.occurredAt must be in the years 0001 to 9999 (was " + at + ")")
                    .hasMessageContaining("event_occurred_at_check");
        }
        assertThat(order().payload("{}").occurredAt(OutboxEvent.LATEST_OCCURRED_AT).build().occurredAt())
                .isEqualTo(OutboxEvent.LATEST_OCCURRED_AT);
    }

    @Test
    void rejectsDeepNestingAsTextAndAsStructureWithoutOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> order().payload(deep))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.payload must nest objects and arrays at most 64 levels deep (was deeper,")
                .hasMessageContaining("event_payload_depth_check");
        JsonArray nested = Json.createArrayBuilder().build();
        for (int i = 1; i < 100_000; i++) {
            nested = Json.createArrayBuilder().add(nested).build();
        }
        JsonArray tooDeep = nested;
        assertThatThrownBy(() -> order().payload(tooDeep).build())
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.payload must nest objects and arrays at most 64 levels deep (was deeper,"
                        + " at $[0][0][0][0][0][0][0][0]…)");
        assertThat(order().payload("[".repeat(64) + "]".repeat(64)).build().payloadJson()).hasSize(128);
    }

    @Test
    void rejectsUnpairedSurrogatesThatTheDriverWouldStoreAsQuestionMarks() {
        assertThatThrownBy(() -> order().payload("{\"a\": {\"b\": \"x\\ud800\"}}").build())
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.payload at $.a.b must be well-formed Unicode: it holds the unpaired"
                        + " surrogate U+D800 at index 1");
        assertThatThrownBy(() -> order().payload(Json.createObjectBuilder().add("k\uDC00", 1).build()).build())
                .isInstanceOf(OutboxException.class).hasMessageContaining("U+DC00");
        assertThatThrownBy(() -> OutboxEvent.builder("Order", "4\uD83D", "OrderPlaced"))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.aggregateId must be well-formed Unicode");
        assertThatThrownBy(() -> order().header("tenant", "\uDE00x"))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.headers.tenant must be well-formed Unicode");
        assertThat(order().payload("{\"a\": \"\\ud83d\\ude00\"}").build().payload())
                .isEqualTo(Json.createObjectBuilder().add("a", "\uD83D\uDE00").build());
    }

    @Test
    void rejectsNumbersBeyondPostgresqlNumeric() {
        assertThatThrownBy(() -> order().payload("{\"n\": [1e131072]}").build())
                .isInstanceOf(OutboxException.class)
                .hasMessage("event.payload holds a number PostgreSQL's numeric cannot store, at $.n[0] (was 1E+131072):"
                        + " at most 131072 digits before the decimal point and 16383 after");
    }

    @Test
    void countsNameLengthsInCharactersAsPostgresqlDoes() {
        String emoji = "\uD83D\uDE00";
        assertThat(OutboxEvent.builder("Order", emoji.repeat(255), "OrderPlaced").payload("{}").build().aggregateId())
                .hasSize(510);
        assertThatThrownBy(() -> OutboxEvent.builder("Order", emoji.repeat(256), "OrderPlaced"))
                .isInstanceOf(OutboxException.class)
                .hasMessage("event.aggregateId must be at most 255 characters (was 256)");
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
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ", // too long
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", // too short
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // separator
        "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", // not hex
        "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G",
    })
    void rejectsInvalidTraceparentAlsoWhenPassedAsHeader(String traceparent) {
        assertThatThrownBy(() -> order().traceparent(traceparent))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event.headers.traceparent must be a W3C traceparent");
        assertThatThrownBy(() -> order().header("traceparent", traceparent))
                .isInstanceOf(OutboxException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "01-00000000000000000000000000000001-1000000000000000-00", // non-zero in the last / first digit
        "fe-10000000000000000000000000000000-0000000000000001-ff",
        "0f-abcdef0123456789abcdef0123456789-abcdef0123456789-9a",
    })
    void acceptsValidTraceparent(String traceparent) {
        assertThat(order().payload("{}").traceparent(traceparent).build().traceparent()).contains(traceparent);
    }

    @Test
    void traceparentCheckAgreesWithTheW3cGrammarOnRandomVariants() {
        java.util.regex.Pattern grammar = java.util.regex.Pattern.compile(
                "(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");
        java.util.Random random = new java.util.Random(7);
        String alphabet = "0123456789abcdefABF-_ gf";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder candidate = new StringBuilder(random.nextInt(3) == 0 ? TRACEPARENT
                    : "00-" + "0".repeat(32) + "-" + "0".repeat(16) + "-00");
            for (int edits = random.nextInt(4); edits > 0; edits--) {
                int at = random.nextInt(candidate.length());
                switch (random.nextInt(6)) {
                    case 0 -> candidate.deleteCharAt(at);
                    case 1 -> candidate.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    default -> candidate.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                }
            }
            String value = candidate.toString();
            assertThat(OutboxEvent.isTraceparent(value)).as(value).isEqualTo(grammar.matcher(value).matches());
        }
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

    @Test
    void contextHeadersAreAddedOnlyWhereTheEventHasNone() {
        OutboxEvent event = OutboxEvent.builder("Order", "o-1", "OrderPlaced").payload("{}").header("tenant", "acme").build();

        OutboxEvent withContext = event.withContext(Map.of("tenant", "other", "tracestate", "congo=t61rcWkgMzE"));

        assertThat(withContext.headers()).isEqualTo(Map.of("tenant", "acme", "tracestate", "congo=t61rcWkgMzE"));
        assertThat(withContext.id()).isEqualTo(event.id());
        assertThat(withContext.occurredAt()).isEqualTo(event.occurredAt());
        assertThat(withContext.payloadJson()).isEqualTo(event.payloadJson());
        assertThat(withContext.headersJson()).contains("congo=t61rcWkgMzE");
        assertThat(event.withContext(Map.of("tenant", "other"))).isSameAs(event);
    }

    @Test
    void contextHeadersPassTheHeaderRules() {
        OutboxEvent event = OutboxEvent.builder("Order", "o-1", "OrderPlaced").payload("{}").build();

        assertThatThrownBy(() -> event.withContext(Map.of("traceparent", "not-a-traceparent")))
                .isInstanceOf(OutboxException.class).hasMessageContaining("event.headers.traceparent must be a W3C traceparent");
        assertThatThrownBy(() -> event.withContext(Map.of("big", "x".repeat(OutboxEvent.MAX_HEADER_VALUE_LENGTH + 1))))
                .isInstanceOf(OutboxException.class).hasMessageContaining("event.headers.big must be at most 8192 characters");
    }
}
