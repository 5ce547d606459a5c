package dev.outbox.core.internal;

import dev.outbox.core.OutboxException;
import jakarta.json.Json;
import jakarta.json.JsonConfig;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonStructure;
import jakarta.json.JsonValue;
import jakarta.json.JsonWriter;
import jakarta.json.JsonWriterFactory;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParserFactory;
import jakarta.json.stream.JsonParsingException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/** Parses and writes the JSON that goes into the outbox's jsonb columns. */
public final class JsonCodec {
    // Duplicate keys are rejected: jsonb would silently keep only the last one. The standard
    // KEY_STRATEGY covers readers; Parsson's own switch covers JsonParser.getValue(). Parsson
    // refuses input that reaches its maxDepth (so MAX_DEPTH levels pass), before building a tree
    // that deep: a 100,000-deep text fails fast instead of overflowing the stack.
    private static final String PARSSON_MAX_DEPTH = "org.eclipse.parsson.maxDepth";
    private static final JsonParserFactory PARSERS = Json.createParserFactory(Map.of(
            JsonConfig.KEY_STRATEGY, JsonConfig.KeyStrategy.NONE,
            "org.eclipse.parsson.rejectDuplicateKeys", Boolean.TRUE,
            PARSSON_MAX_DEPTH, StoredText.MAX_DEPTH + 1));
    private static final JsonWriterFactory WRITERS = Json.createWriterFactory(Map.of());

    private JsonCodec() {
    }

    /**
     * Parses a JSON object or array.
     *
     * @param what names the value in error messages, e.g. {@code event.payload}
     */
    public static JsonStructure parseStructure(String what, String json) {
        if (json == null) {
            throw new OutboxException(what + " must not be null: pass a JSON object or array");
        }
        try (JsonParser parser = PARSERS.createParser(new StringReader(json))) {
            if (!parser.hasNext()) {
                throw new OutboxException(what + " is not valid JSON: the text is empty; pass a JSON object or array");
            }
            parser.next();
            JsonValue value = parser.getValue();
            if (parser.hasNext()) {
                throw new OutboxException(what + " is not valid JSON: unexpected " + parser.next()
                        + " after the end of the value at " + parser.getLocation()
                        + " (input starts with " + abbreviate(json) + ")");
            }
            if (!(value instanceof JsonStructure structure)) {
                throw new OutboxException(what + " must be a JSON object or array (was a JSON "
                        + value.getValueType().name().toLowerCase(java.util.Locale.ROOT)
                        + "); wrap it, e.g. {\"value\": " + abbreviate(json) + "}");
            }
            return structure;
        } catch (JsonParsingException e) {
            throw new OutboxException(what + " is not valid JSON: " + e.getMessage()
                    + " (input starts with " + abbreviate(json) + ")", e);
        } catch (JsonException | IllegalStateException e) { // Parsson reports duplicate keys as the latter
            throw new OutboxException(what + " is not valid JSON: " + e.getMessage(), e);
        } catch (RuntimeException e) { // Parsson reports its depth limit as a plain RuntimeException
            if (String.valueOf(e.getMessage()).contains("nested")) {
                throw StoredText.tooDeep(what, "input starts with " + abbreviate(json), e);
            }
            throw new OutboxException(what + " is not valid JSON: " + e, e);
        }
    }

    /** Compact JSON text of a structure. */
    public static String write(JsonStructure structure) {
        StringWriter out = new StringWriter();
        try (JsonWriter writer = WRITERS.createWriter(out)) {
            writer.write(structure);
        }
        return out.toString();
    }

    public static String writeHeaders(Map<String, String> headers) {
        JsonObjectBuilder object = Json.createObjectBuilder();
        headers.forEach(object::add);
        return write(object.build());
    }

    /** Reads a headers object as stored in the database (string values only). */
    public static Map<String, String> readHeaders(String json) {
        JsonStructure structure = parseStructure("event.headers", json);
        if (!(structure instanceof JsonObject object)) {
            throw new OutboxException("event.headers must be a JSON object (was " + abbreviate(json) + ")");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        object.forEach((key, value) -> {
            if (!(value instanceof JsonString string)) {
                throw new OutboxException("event.headers." + key + " must be a JSON string (was " + value + ")");
            }
            headers.put(key, string.getString());
        });
        return headers;
    }

    static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "…";
    }
}
