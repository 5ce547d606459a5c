package dev.outbox.core.internal;

import dev.outbox.core.OutboxException;
import jakarta.json.JsonConfig;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
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
import java.util.AbstractList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Parses and writes the JSON that goes into the outbox's jsonb columns. */
public final class JsonCodec {
    // Duplicate keys are rejected: jsonb would silently keep only the last one. The standard
    // KEY_STRATEGY covers readers; Parsson's own switch covers JsonParser.getValue(). Parsson
    // refuses input that reaches its maxDepth (so MAX_DEPTH levels pass), before building a tree
    // that deep: a 100,000-deep text fails fast instead of overflowing the stack.
    private static final String PARSSON_MAX_DEPTH = "org.eclipse.parsson.maxDepth";
    private static final JsonParserFactory PARSERS = JsonFactories.PROVIDER.createParserFactory(Map.of(
            JsonConfig.KEY_STRATEGY, JsonConfig.KeyStrategy.NONE,
            "org.eclipse.parsson.rejectDuplicateKeys", Boolean.TRUE,
            PARSSON_MAX_DEPTH, StoredText.MAX_DEPTH + 1));
    private static final JsonWriterFactory WRITERS = JsonFactories.PROVIDER.createWriterFactory(Map.of());
    /** The headers of most events: none. */
    private static final String EMPTY_OBJECT = "{}";

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
                        + value.getValueType().name().toLowerCase(Locale.ROOT)
                        + "); wrap it, e.g. {\"value\": " + abbreviate(json) + "}");
            }
            return structure;
        } catch (JsonParsingException e) {
            throw new OutboxException(what + " is not valid JSON: " + e.getMessage()
                    + " (input starts with " + abbreviate(json) + ")", e);
        } catch (JsonException | IllegalStateException e) { // Parsson reports duplicate keys as the latter
            throw new OutboxException(what + " is not valid JSON: " + e.getMessage(), e);
        } catch (OutboxException e) { // this method's own: not to be wrapped by the next clause
            throw e;
        } catch (RuntimeException e) { // Parsson reports its depth limit as a plain RuntimeException
            if (String.valueOf(e.getMessage()).contains("nested")) {
                throw StoredText.tooDeep(what, "input starts with " + abbreviate(json), e);
            }
            throw new OutboxException(what + " is not valid JSON: " + e, e);
        }
    }

    /**
     * A payload given as JSON text, checked in one streaming pass.
     *
     * @param json the text to store: the text as given, which jsonb reads as the same value (so no
     *     tree is built and no text written), or in the rare case that it holds surrogate pairs
     *     written half as an escape and half as a character (which the driver cannot encode as
     *     given), its compact rewrite
     * @param printedSize {@code octet_length(payload::text)}, as {@link StoredText#printedSize(String,
     *     JsonStructure)} computes it for the parsed structure; meaningless when {@code problem} is set
     * @param problem why PostgreSQL cannot store it (a NUL, an unpaired surrogate, a number beyond
     *     numeric), the message {@link StoredText#printedSize(String, JsonStructure)} throws for the
     *     parsed structure; {@code null} if it can. Reported when the event is built, as before.
     */
    public record PayloadText(String json, long printedSize, String problem) {
    }

    /**
     * Checks a JSON object or array given as text, refusing what {@link #parseStructure} refuses
     * with the same messages (syntax, duplicate keys, nesting, scalars), and measures it as
     * {@link StoredText#printedSize(String, JsonStructure)} does, without building a tree.
     *
     * @param what names the value in error messages, e.g. {@code event.payload}
     */
    public static PayloadText scanPayload(String what, String json) {
        if (json == null) {
            throw new OutboxException(what + " must not be null: pass a JSON object or array");
        }
        try (JsonParser parser = PARSERS.createParser(new StringReader(json))) {
            if (!parser.hasNext()) {
                throw new OutboxException(what + " is not valid JSON: the text is empty; pass a JSON object or array");
            }
            JsonParser.Event first = parser.next();
            Scan scan = new Scan(what);
            if (first == JsonParser.Event.START_OBJECT || first == JsonParser.Event.START_ARRAY) {
                scan.structure(parser, first);
            } else if (first == JsonParser.Event.VALUE_NUMBER) {
                parser.getValue(); // as parseStructure does: a number Parsson cannot read fails here
            }
            if (parser.hasNext()) {
                throw new OutboxException(what + " is not valid JSON: unexpected " + parser.next()
                        + " after the end of the value at " + parser.getLocation()
                        + " (input starts with " + abbreviate(json) + ")");
            }
            if (first != JsonParser.Event.START_OBJECT && first != JsonParser.Event.START_ARRAY) {
                throw new OutboxException(what + " must be a JSON object or array (was a JSON "
                        + first.name().substring("VALUE_".length()).toLowerCase(Locale.ROOT)
                        + "); wrap it, e.g. {\"value\": " + abbreviate(json) + "}");
            }
            if (scan.problem == null && StoredText.loneSurrogate(json) >= 0) {
                // Every string is well-formed once its escapes are decoded, but the text is not: a
                // pair written as "\\ud83d" + U+DE00. The driver would send "?" for the lone half.
                return new PayloadText(write(parseStructure(what, json)), scan.size, null);
            }
            return new PayloadText(json, scan.size, scan.problem);
        } catch (JsonParsingException e) {
            throw new OutboxException(what + " is not valid JSON: " + e.getMessage()
                    + " (input starts with " + abbreviate(json) + ")", e);
        } catch (JsonException | IllegalStateException e) {
            throw new OutboxException(what + " is not valid JSON: " + e.getMessage(), e);
        } catch (OutboxException e) {
            throw e;
        } catch (RuntimeException e) { // Parsson reports its depth limit as a plain RuntimeException
            if (String.valueOf(e.getMessage()).contains("nested")) {
                throw StoredText.tooDeep(what, "input starts with " + abbreviate(json), e);
            }
            throw new OutboxException(what + " is not valid JSON: " + e, e);
        }
    }

    /**
     * One streaming pass over a payload: the size jsonb prints, the first value it cannot store,
     * duplicate keys. Sizes follow StoredText.Walk: {@code ": "} and {@code ", "} separators.
     * Parsson's maxDepth bounds the nesting (and so these arrays) before a frame is pushed.
     */
    private static final class Scan {
        private static final int SMALL_OBJECT = 16; // keys compared one by one up to here, then hashed
        private final String field;
        private int top = -1;
        private boolean[] object = new boolean[8];
        private int[] count = new int[8];
        private Object[] step = new Object[8]; // the current key or index of each level, for messages
        private String[][] keys = new String[8][];
        private List<Set<String>> keySets = new java.util.ArrayList<>();
        // A repeated key, reported once its value is read (a syntax error inside the value comes
        // first, as with Parsson's object builder); an inner object's duplicate is reported first.
        private String duplicate;
        private int duplicateLevel;
        private long size;
        private String problem;

        Scan(String field) {
            this.field = field;
        }

        void structure(JsonParser parser, JsonParser.Event first) {
            push(first == JsonParser.Event.START_OBJECT);
            while (top >= 0) {
                JsonParser.Event event = parser.next();
                switch (event) {
                    case KEY_NAME -> key(parser.getString());
                    case START_OBJECT, START_ARRAY -> {
                        element();
                        push(event == JsonParser.Event.START_OBJECT);
                    }
                    case END_OBJECT, END_ARRAY -> {
                        top--;
                        valueDone();
                    }
                    case VALUE_STRING -> {
                        element();
                        String s = parser.getString();
                        long printed = StoredText.printedSize(s);
                        if (printed < 0) {
                            refuse(StoredText.refusedString(field, path(), s));
                        }
                        add(printed);
                        valueDone();
                    }
                    case VALUE_NUMBER -> {
                        element();
                        // getValue() as parseStructure builds the tree: the same number, the same failures
                        java.math.BigDecimal n = ((JsonNumber) parser.getValue()).bigDecimalValue();
                        long printed = StoredText.printedSize(n);
                        if (printed < 0) {
                            refuse(StoredText.refusedNumber(field, path(), n));
                        }
                        add(printed);
                        valueDone();
                    }
                    case VALUE_TRUE, VALUE_NULL -> {
                        element();
                        add(4);
                        valueDone();
                    }
                    case VALUE_FALSE -> {
                        element();
                        add(5);
                        valueDone();
                    }
                }
            }
        }

        private void push(boolean isObject) {
            top++;
            if (top == object.length) {
                int length = object.length * 2;
                object = Arrays.copyOf(object, length);
                count = Arrays.copyOf(count, length);
                step = Arrays.copyOf(step, length);
                keys = Arrays.copyOf(keys, length);
            }
            object[top] = isObject;
            count[top] = 0;
            step[top] = null;
            if (top < keySets.size()) {
                keySets.get(top).clear();
            }
            add(2);
        }

        /** A value starts: in an array it is the next element (its key was counted in an object). */
        private void element() {
            if (top >= 0 && !object[top]) {
                if (count[top] > 0) {
                    add(2);
                }
                step[top] = count[top]++;
            }
        }

        private void key(String key) {
            if (count[top] > 0) {
                add(2);
            }
            if (seen(key)) {
                duplicate = key;
                duplicateLevel = top;
            }
            step[top] = key;
            count[top]++;
            long printed = StoredText.printedSize(key);
            if (printed < 0) {
                refuse(StoredText.refusedString(field, path(), key));
            }
            add(printed + 2);
        }

        /** A value is complete; a duplicate key fails now, as Parsson's object builder fails on adding it. */
        private void valueDone() {
            if (duplicate != null && top == duplicateLevel) {
                throw new IllegalStateException("Duplicate key '" + duplicate + "' is not allowed");
            }
        }

        private boolean seen(String key) {
            int n = count[top];
            if (n < SMALL_OBJECT) {
                String[] level = keys[top];
                if (level == null) {
                    level = keys[top] = new String[SMALL_OBJECT];
                }
                for (int i = 0; i < n; i++) {
                    if (level[i].equals(key)) {
                        return true;
                    }
                }
                level[n] = key;
                return false;
            }
            while (keySets.size() <= top) {
                keySets.add(new HashSet<>());
            }
            Set<String> set = keySets.get(top);
            if (n == SMALL_OBJECT) {
                set.addAll(Arrays.asList(keys[top]));
            }
            return !set.add(key);
        }

        private void refuse(String message) {
            if (problem == null) {
                problem = message;
            }
        }

        private void add(long bytes) {
            if (problem == null) {
                size += bytes;
            }
        }

        private String path() {
            return StoredText.path(new AbstractList<Object>() {
                @Override
                public Object get(int index) {
                    return step[index];
                }

                @Override
                public int size() {
                    int n = top + 1;
                    return n > 0 && step[top] == null ? n - 1 : n;
                }
            });
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

    /**
     * A headers object as JSON text. The values are checked by {@code OutboxEvent.Builder.header}
     * (no NUL, no unpaired surrogate), so escaping {@code "}, {@code \\} and control characters is
     * all that is left to do.
     */
    public static String writeHeaders(Map<String, String> headers) {
        if (headers.isEmpty()) {
            return EMPTY_OBJECT;
        }
        StringBuilder out = new StringBuilder(16 + 64 * headers.size()).append('{');
        for (Map.Entry<String, String> header : headers.entrySet()) {
            appendString(out.length() > 1 ? out.append(',') : out, header.getKey()).append(':');
            appendString(out, header.getValue());
        }
        return out.append('}').toString();
    }

    private static StringBuilder appendString(StringBuilder out, String s) {
        out.append('"');
        int plain = 0; // start of the run of characters that need no escape
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20) {
                out.append(s, plain, i).append('\\');
                switch (c) {
                    case '"', '\\' -> out.append(c);
                    case '\n' -> out.append('n');
                    case '\r' -> out.append('r');
                    case '\t' -> out.append('t');
                    case '\b' -> out.append('b');
                    case '\f' -> out.append('f');
                    default -> out.append(String.format("u%04x", (int) c));
                }
                plain = i + 1;
            }
        }
        return out.append(s, plain, s.length()).append('"');
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
