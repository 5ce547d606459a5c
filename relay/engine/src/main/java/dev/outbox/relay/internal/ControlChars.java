package dev.outbox.relay.internal;

/**
 * Makes text that came from outside (an event's key or type, an error message quoting them, a
 * session's application name) safe to print on a line of a log or a terminal table: control
 * characters are written as visible escapes ({@code \n}, {@code \u001b}) so that a key holding a
 * newline cannot forge a second log line and one holding ESC cannot drive the operator's terminal.
 *
 * <p>Escaped: C0 controls (U+0000–U+001F), DEL, C1 controls (U+0080–U+009F), the Unicode line and
 * paragraph separators (U+2028, U+2029) and the bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069) that reorder what a reader sees. A backslash is left as it is, so
 * {@code \n} in the output is either an escaped newline or the two characters themselves; the
 * output is for reading, not for parsing back (the JSON log format is exact).
 */
public final class ControlChars {
    private ControlChars() {
    }

    /** {@code text} with control characters escaped; the same instance when there is none; {@code null} stays null. */
    public static String escape(String text) {
        if (text == null) {
            return null;
        }
        int first = 0;
        while (first < text.length() && !isControl(text.charAt(first))) {
            first++;
        }
        if (first == text.length()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!isControl(c)) {
                out.append(c);
                continue;
            }
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.toString();
    }

    static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029' || c == '\u061c'
                || c == '\u200e' || c == '\u200f' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
    }
}
