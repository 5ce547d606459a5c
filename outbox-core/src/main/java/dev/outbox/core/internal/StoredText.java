package dev.outbox.core.internal;

import dev.outbox.core.OutboxException;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonStructure;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * The event rules of {@code sql/} (V4's, checked by V6's trigger) and of PostgreSQL's text and
 * jsonb types, computed in Java so that the writer refuses exactly what the database refuses,
 * before any SQL is sent (and with a message naming the rule).
 */
public final class StoredText {
    /**
     * The 25 code points of {@link Character#isWhitespace(int)}, all in the BMP; the schema's
     * {@code outbox.is_blank(text)} trims the same list.
     */
    public static final String WHITESPACE = "\t\n\u000B\f\r\u001C\u001D\u001E\u001F \u1680"
            + "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200A\u2028\u2029\u205F\u3000";
    /** Containers a payload may nest (the root counts): CHECK {@code event_payload_depth_check}. */
    public static final int MAX_DEPTH = dev.outbox.core.OutboxEvent.MAX_PAYLOAD_DEPTH;
    // PostgreSQL numeric: a weight of at most 32767 base-10000 digits, a display scale of at most 16383.
    private static final int NUMERIC_MAX_INTEGER_DIGITS = 131072;
    private static final int NUMERIC_MAX_SCALE = 16383;

    private StoredText() {
    }

    /** Whether the text is empty or only whitespace of {@link #WHITESPACE}: {@code outbox.is_blank}. */
    public static boolean isBlank(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (WHITESPACE.indexOf(text.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Length as PostgreSQL's {@code length(text)} counts it: in code points, not UTF-16 chars. */
    public static int length(String text) {
        return text.codePointCount(0, text.length());
    }

    /**
     * Refuses an unpaired UTF-16 surrogate, which has no UTF-8 encoding: the driver would send
     * {@code ?} in its place, PostgreSQL refuses it as a byte sequence (22021) or JSON escape (22P02).
     */
    public static void requireWellFormed(String field, String text) {
        int bad = loneSurrogate(text);
        if (bad >= 0) {
            throw new OutboxException(notWellFormed(field, text, bad));
        }
    }

    private static String notWellFormed(String field, String text, int bad) {
        return field + " must be well-formed Unicode: it holds the unpaired surrogate "
                + String.format("U+%04X", (int) text.charAt(bad)) + " at index " + bad
                + ", which UTF-8 and PostgreSQL cannot store (was " + escaped(text) + "); fix how the text was decoded";
    }

    /**
     * Why jsonb cannot store a string of a payload that {@link #printedSize(String)} refused: an
     * unpaired surrogate or NUL. {@code path} says where it is, e.g. {@code $.a[2]}.
     */
    static String refusedString(String field, String path, String s) {
        int bad = loneSurrogate(s);
        return bad >= 0 ? notWellFormed(field + " at " + path, s, bad)
                : field + " must not contain the NUL character (\\u0000), at " + path + ": PostgreSQL jsonb cannot store it";
    }

    /** Size of a number as jsonb prints it (numeric, plain notation: 1E+3 as 1000); -1 beyond PostgreSQL's numeric. */
    static long printedSize(BigDecimal n) {
        long scale = Math.max(0, n.scale());
        long integerDigits = n.signum() == 0 ? 1 : Math.max(1L, (long) n.precision() - n.scale());
        if (scale > NUMERIC_MAX_SCALE || integerDigits > NUMERIC_MAX_INTEGER_DIGITS) {
            return -1;
        }
        return (n.signum() < 0 ? 1 : 0) + integerDigits + (scale > 0 ? 1 + scale : 0);
    }

    /** Why a number that {@link #printedSize(BigDecimal)} refused cannot be stored. */
    static String refusedNumber(String field, String path, BigDecimal n) {
        return field + " holds a number PostgreSQL's numeric cannot store, at " + path
                + " (was " + JsonCodec.abbreviate(n.toString()) + "): at most " + NUMERIC_MAX_INTEGER_DIGITS
                + " digits before the decimal point and " + NUMERIC_MAX_SCALE + " after";
    }

    /** A JSON path for messages, {@code $.key[2]}, from the keys and indexes of {@code steps}; at most 8 shown. */
    static String path(Iterable<?> steps) {
        StringBuilder out = new StringBuilder("$");
        int shown = 0;
        for (Object step : steps) {
            if (++shown > 8) {
                return out.append("…").toString();
            }
            out.append(step instanceof Integer ? "[" + step + "]" : "." + visible((String) step));
        }
        return out.toString();
    }

    /** The error for JSON nested deeper than {@value #MAX_DEPTH}; {@code where} says where it was found. */
    static OutboxException tooDeep(String field, String where, Throwable cause) {
        return new OutboxException(field + " must nest objects and arrays at most " + MAX_DEPTH + " levels deep (was deeper, "
                + where + "): PostgreSQL refuses it (CHECK event_payload_depth_check) and so do many consumers'"
                + " JSON parsers; flatten it", cause);
    }

    /**
     * Checks a payload against what PostgreSQL stores and returns the size in bytes of its text as
     * PostgreSQL prints it ({@code octet_length(payload::text)}, what the relay reads and sends):
     * jsonb prints {@code ": "} and {@code ", "} separators, numbers in plain notation, strings with
     * only {@code "}, {@code \} and control characters escaped. One walk, at most
     * {@value #MAX_DEPTH} deep (the depth is checked before descending).
     *
     * @throws OutboxException for nesting deeper than {@value #MAX_DEPTH}, an unpaired surrogate, a
     *     NUL character, or a number beyond PostgreSQL's numeric
     */
    public static long printedSize(String field, JsonStructure payload) {
        return new Walk(field).value(payload, 1);
    }

    /** Size in bytes of a string-valued headers object as PostgreSQL prints it ({@code headers::text}). */
    public static long printedSize(Map<String, String> headers) {
        long size = 2;
        for (Map.Entry<String, String> header : headers.entrySet()) {
            size += printedSize(header.getKey()) + 2 + printedSize(header.getValue()); // validated by header(): never -1
        }
        return size + 2L * Math.max(0, headers.size() - 1);
    }

    /**
     * A JSON string as jsonb prints it (PostgreSQL's escape_json), quotes included; -1 if it holds
     * what jsonb cannot store (NUL, an unpaired surrogate). One pass: this runs over every string.
     */
    static long printedSize(String s) {
        long size = 2;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80) { // most characters: one test, one byte
                size += c == '"' || c == '\\' ? 2 : 1;
            } else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
                size += 2;
            } else if (c == 0) {
                return -1;
            } else if (c < 0x20) {
                size += 6; // backslash, u and four hex digits
            } else if (c < 0x800) {
                size += 2;
            } else if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return -1;
                }
                size += 4; // the pair is one code point, 4 bytes in UTF-8
                i++;
            } else {
                size += 3;
            }
        }
        return size;
    }

    static int loneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            }
        }
        return -1;
    }

    /** The text quoted for a message: lone surrogates and control characters as escapes, at most 40 chars. */
    private static String escaped(String text) {
        return '"' + visible(text) + '"';
    }

    private static String visible(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && i < 40; i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || Character.isSurrogate(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return out.append(text.length() > 40 ? "…" : "").toString();
    }

    /** One payload walk; keeps the path (keys and indexes) for error messages. */
    private static final class Walk {
        private final String field;
        private final Deque<Object> path = new ArrayDeque<>();

        Walk(String field) {
            this.field = field;
        }

        long value(JsonValue value, int depth) {
            return switch (value.getValueType()) {
                case OBJECT -> object((JsonObject) value, depth);
                case ARRAY -> array((JsonArray) value, depth);
                case STRING -> string(((JsonString) value).getString());
                case NUMBER -> number(((JsonNumber) value).bigDecimalValue());
                case TRUE, NULL -> 4;
                case FALSE -> 5;
            };
        }

        private long object(JsonObject object, int depth) {
            requireDepth(depth);
            long size = 2 + 2L * Math.max(0, object.size() - 1);
            for (Map.Entry<String, JsonValue> member : object.entrySet()) {
                path.addLast(member.getKey());
                size += string(member.getKey()) + 2 + nested(member.getValue(), depth);
                path.removeLast();
            }
            return size;
        }

        private long array(JsonArray array, int depth) {
            requireDepth(depth);
            long size = 2 + 2L * Math.max(0, array.size() - 1);
            for (int i = 0; i < array.size(); i++) {
                path.addLast(i);
                size += nested(array.get(i), depth);
                path.removeLast();
            }
            return size;
        }

        private long nested(JsonValue value, int depth) {
            return value instanceof JsonStructure ? value(value, depth + 1) : value(value, depth);
        }

        private void requireDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw tooDeep(field, "at " + path(), null);
            }
        }

        private long string(String s) {
            long size = printedSize(s);
            if (size < 0) { // the message (and the path in it) is only built for a refused string
                throw new OutboxException(refusedString(field, path(), s));
            }
            return size;
        }

        private long number(BigDecimal n) {
            long size = printedSize(n);
            if (size < 0) {
                throw new OutboxException(refusedNumber(field, path(), n));
            }
            return size;
        }

        private String path() {
            return StoredText.path(path);
        }
    }
}
