package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.core.internal.JsonCodec;
import dev.outbox.core.internal.StoredText;
import jakarta.json.JsonStructure;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A payload given as text is checked in one streaming pass and stored as given. That pass must
 * refuse exactly what parsing the text into a tree and walking the tree refused (the way the
 * writer worked before, and still works for a {@code JsonStructure}), with the same messages, and
 * measure the same size; and the text it stores must be the same JSON value as the tree.
 */
class PayloadTextTest {
    /** The outcome of the tree path: where it failed and why, or the size it measured. */
    private static String treeOutcome(String json) {
        JsonStructure tree;
        try {
            tree = JsonCodec.parseStructure("event.payload", json);
        } catch (OutboxException e) {
            return "payload(): " + e.getMessage();
        }
        try {
            return "size " + StoredText.printedSize("event.payload", tree);
        } catch (OutboxException e) {
            return "build(): " + e.getMessage();
        }
    }

    private static String streamOutcome(String json) {
        JsonCodec.PayloadText text;
        try {
            text = JsonCodec.scanPayload("event.payload", json);
        } catch (OutboxException e) {
            return "payload(): " + e.getMessage();
        }
        return text.problem() != null ? "build(): " + text.problem() : "size " + text.printedSize();
    }

    @Test
    void streamingCheckRefusesAndMeasuresExactlyAsTheTreeDidOnFiveThousandRandomTexts() {
        JsonFuzz fuzz = new JsonFuzz(20260101);
        Map<String, Integer> kinds = new TreeMap<>();
        for (int i = 0; i < 5_000; i++) {
            String json = fuzz.next();
            String tree = treeOutcome(json);
            assertThat(streamOutcome(json)).as("outcome for %s", json).isEqualTo(tree);
            if (tree.startsWith("size")) {
                JsonCodec.PayloadText text = JsonCodec.scanPayload("event.payload", json);
                assertThat(JsonCodec.parseStructure("event.payload", text.json())).as("stored text of %s", json)
                        .isEqualTo(JsonCodec.parseStructure("event.payload", json));
            }
            kinds.merge(kind(tree), 1, Integer::sum);
        }
        // The corpus exercises every kind of outcome, not only one.
        assertThat(kinds).containsOnlyKeys("accepted", "not JSON", "duplicate key", "too deep", "scalar",
                "NUL", "unpaired surrogate", "beyond numeric");
    }

    private static String kind(String outcome) {
        return outcome.startsWith("size") ? "accepted"
                : outcome.contains("Duplicate key") ? "duplicate key"
                : outcome.contains("is not valid JSON") ? "not JSON"
                : outcome.contains("must nest") ? "too deep"
                : outcome.contains("must be a JSON object or array") ? "scalar"
                : outcome.contains("NUL character") ? "NUL"
                : outcome.contains("unpaired surrogate") ? "unpaired surrogate"
                : outcome.contains("holds a number") ? "beyond numeric"
                : outcome;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"a\": 1, \"a\": 2}", "{\"a\": 1, \"\\u0061\": 2}", "{\"b\": {\"a\": 1, \"a\": [1,}}", "{\"a\": 1, \"a\": [1,}",
        "{\"a\": [1], \"a\": [[[", "{\"a\": {\"x\": 1, \"x\": 2}, \"a\": 3}",
        "{\"k0\": 0, \"k1\": 1, \"k2\": 2, \"k3\": 3, \"k4\": 4, \"k5\": 5, \"k6\": 6, \"k7\": 7, \"k8\": 8, \"k9\": 9,"
                + " \"k10\": 10, \"k11\": 11, \"k12\": 12, \"k13\": 13, \"k14\": 14, \"k15\": 15, \"k16\": 16, \"k3\": 3}",
        "[{\"a\": 1}, {\"a\": 1}]", "{\"a\": \"\\u0000\", \"b\": [1e131072]}", "[1e131072, \"\\u0000\"]",
        "{\"\\ud800\": 1}", "[\"\\ud83d\\ude00\", \"\\ud83d\uDE00\"]", "[\"x\uD800\"]", "42", "\"s\"", "null", "",
        "[1]]", "{} {}", "[-0, -0.0, 1.50, 12e1, 0e-20000]", "[[[[[[[[[[\"\\u0000\"]]]]]]]]]]",
    })
    void streamingCheckAgreesWithTheTreeOnDuplicateKeysProblemsAndTheirOrder(String json) {
        assertThat(streamOutcome(json)).isEqualTo(treeOutcome(json));
    }

    @Test
    void keepsTheTextAsGivenUnlessTheDriverCouldNotEncodeIt() {
        String spaced = "{ \"b\" : [ 1 , 2.50 , 1e3 ] ,\n \"a\" : \"\\u00e9\\n\" }";
        assertThat(JsonCodec.scanPayload("event.payload", spaced).json()).isSameAs(spaced);
        // A pair written half as an escape, half as a character: every string decodes to a
        // well-formed pair, but the text holds a lone surrogate, which UTF-8 cannot encode.
        String halfEscaped = "[\"\\ud83d\uDE00\"]";
        assertThat(JsonCodec.scanPayload("event.payload", halfEscaped).json()).isEqualTo("[\"\uD83D\uDE00\"]");
        assertThat(OutboxEvent.builder("Order", "1", "OrderPlaced").payload(halfEscaped).build().payloadJson())
                .isEqualTo("[\"\uD83D\uDE00\"]");
    }

    @Test
    void reportsWhatPostgresqlCannotStoreWhenTheEventIsBuiltAsBefore() {
        OutboxEvent.Builder builder = OutboxEvent.builder("Order", "1", "OrderPlaced").payload("{\"a\": [\"\\u0000\"]}");
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(OutboxException.class, builder::build))
                .hasMessage("event.payload must not contain the NUL character (\\u0000), at $.a[0]:"
                        + " PostgreSQL jsonb cannot store it");
    }

    @Test
    void parsesTheGivenTextOnlyWhenThePayloadIsAskedFor() {
        OutboxEvent a = OutboxEvent.builder("Order", "1", "OrderPlaced").payload("{\"x\": [1, 2]}").build();
        assertThat(a.payloadJson()).isEqualTo("{\"x\": [1, 2]}");
        assertThat(a.payload().asJsonObject().getJsonArray("x").getInt(1)).isEqualTo(2);
        assertThat(a.payload()).isSameAs(a.payload());
    }

    @Test
    void writesHeadersAsAJsonObjectThatParsesBackToTheSameStrings() {
        assertThat(JsonCodec.writeHeaders(Map.of())).isEqualTo("{}");
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        headers.put("q\"b\\s/", "\b\f\n\r\t\u0001\u001f\u007f é \uD83D\uDE00 \u2028");
        String json = JsonCodec.writeHeaders(headers);
        assertThat(json).startsWith("{\"traceparent\":\"00-4bf9").contains("\\u0001\\u001f");
        assertThat(JsonCodec.readHeaders(json)).containsExactlyEntriesOf(headers);
    }
}
