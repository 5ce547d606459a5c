package dev.outbox.core;

import java.util.List;
import java.util.Random;

/**
 * Random JSON texts for comparing two readers of payload text: mostly valid documents built from
 * the pieces that matter to PostgreSQL (escapes, surrogates, NUL, control characters, numbers at
 * numeric's limits, duplicate keys, nesting near the limit), some of them damaged by random edits.
 * Deterministic for a seed.
 */
final class JsonFuzz {
    private static final List<String> STRING_PIECES = List.of(
            "plain", "é", "日本", "\uD83D\uDE00", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\ud83d" + "\uDE00", "\uD83D" + "\\ude00",
            "\uD800", "\\u0000", "\\u0001", "\\u001f", "\\u00e9", "\\\"", "\\\\", "\\/", "\\b\\f\\n\\r\\t", "\u0001", "\t",
            "\u2028", "\u007f", "\\u0061", " ", "x".repeat(40));
    private static final List<String> NUMBERS = List.of(
            "0", "-0", "-0.0", "1.50", "12e1", "1E+2", "1e-2", "0.0000001", "123456789012345678901234567890",
            "1e131071", "1e131072", "1e-16383", "1.5e-16383", "0e-20000", "1e400", "-1.25E-3", "9.95", "2147483648",
            "-9223372036854775809", "1" + "0".repeat(1200), "0." + "0".repeat(1200) + "1");
    private static final List<String> KEYS = List.of("a", "b", "\\u0061", "é", "", "k\\u0000", "\\ud800", "a b");
    private static final List<String> SPACE = List.of("", "", "", " ", "\n", "\t", "\r\n");
    private static final String EDITS = "{}[],:\"\\ 0123456789eE+-.tfnu\u0000\u0001\f\u00a0\uFEFF\uD800\uDC00";

    private final Random random;

    JsonFuzz(long seed) {
        this.random = new Random(seed);
    }

    /** A document, damaged by one to three random edits one time in four. */
    String next() {
        StringBuilder out = new StringBuilder();
        int r = random.nextInt(20);
        if (r == 0) {
            value(out, 3); // a scalar or anything at the root
        } else if (r == 1) {
            nested(out, 60 + random.nextInt(10)); // near the depth limit of 64
        } else {
            container(out, 0);
        }
        String text = out.toString();
        return random.nextInt(4) == 0 ? damage(text) : text;
    }

    private void nested(StringBuilder out, int depth) {
        StringBuilder close = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            boolean array = random.nextBoolean();
            out.append(array ? "[" : "{\"k\": ");
            close.insert(0, array ? ']' : '}');
        }
        value(out, 99); // a scalar
        out.append(close);
    }

    private void value(StringBuilder out, int depth) {
        int r = random.nextInt(depth < 4 ? 10 : 7);
        if (r < 3) {
            string(out);
        } else if (r < 6) {
            out.append(NUMBERS.get(random.nextInt(NUMBERS.size())));
        } else if (r == 6) {
            out.append(List.of("true", "false", "null").get(random.nextInt(3)));
        } else {
            container(out, depth + 1);
        }
    }

    private void container(StringBuilder out, int depth) {
        boolean object = random.nextBoolean();
        int n = random.nextInt(5);
        out.append(object ? '{' : '[').append(space());
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                out.append(space()).append(',').append(space());
            }
            if (object) {
                out.append('"').append(KEYS.get(random.nextInt(KEYS.size()))).append('"').append(space()).append(':')
                        .append(space());
            }
            value(out, depth);
        }
        out.append(space()).append(object ? '}' : ']');
    }

    private void string(StringBuilder out) {
        out.append('"');
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            out.append(STRING_PIECES.get(random.nextInt(STRING_PIECES.size())));
        }
        out.append('"');
    }

    private String space() {
        return SPACE.get(random.nextInt(SPACE.size()));
    }

    private String damage(String text) {
        StringBuilder out = new StringBuilder(text);
        for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
            int at = out.length() == 0 ? 0 : random.nextInt(out.length());
            switch (random.nextInt(3)) {
                case 0 -> {
                    if (out.length() > 0) {
                        out.deleteCharAt(at);
                    }
                }
                case 1 -> out.insert(at, EDITS.charAt(random.nextInt(EDITS.length())));
                default -> {
                    if (out.length() > 0) {
                        out.setCharAt(at, EDITS.charAt(random.nextInt(EDITS.length())));
                    }
                }
            }
        }
        return out.toString();
    }
}
