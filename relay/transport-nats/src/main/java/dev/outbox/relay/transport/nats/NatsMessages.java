package dev.outbox.relay.transport.nats;

import dev.outbox.relay.transport.CloudEvent;
import io.nats.client.impl.Headers;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * How an event looks on NATS: the pure part of {@link NatsTransport}, without a connection.
 *
 * <p>Headers follow the CloudEvents NATS protocol binding in binary content mode: every context
 * attribute as {@code ce-<name>}, except {@code datacontenttype}, which travels as
 * {@code content-type}; values percent-encoded by the binding's rule (space, {@code "}, {@code %}
 * and everything outside printable ASCII as UTF-8 {@code %XX}), because NATS header values are
 * ASCII only. {@code Nats-Msg-Id} carries the event id so that JetStream drops a re-sent event
 * within the stream's duplicate window. Stored headers that are not attribute names go out
 * unprefixed, values encoded the same way.
 */
final class NatsMessages {
    /** JetStream's de-duplication header. */
    static final String MSG_ID = "Nats-Msg-Id";
    static final String PREFIX = "ce-";
    static final String CONTENT_TYPE = "content-type";

    private NatsMessages() {
    }

    /**
     * The headers of one event.
     *
     * @throws IllegalArgumentException if a stored header's name cannot be a NATS header
     *         (outside printable ASCII, or a colon) or would change what JetStream or the binding
     *         does with the message ({@code Nats-…}, {@code ce-…}, {@code content-type}): such an
     *         event can never be sent as it is
     */
    static Headers headers(CloudEvent event) {
        Headers headers = new Headers();
        headers.put(MSG_ID, event.id());
        for (Map.Entry<String, String> a : event.attributes().entrySet()) {
            if (a.getKey().equals("datacontenttype")) {
                headers.put(CONTENT_TYPE, encode(a.getValue()));
            } else {
                headers.put(PREFIX + a.getKey(), encode(a.getValue()));
            }
        }
        for (Map.Entry<String, String> h : event.otherHeaders().entrySet()) {
            String name = h.getKey();
            checkHeaderName(name);
            headers.put(name, encode(h.getValue()));
        }
        return headers;
    }

    private static void checkHeaderName(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("header name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x21 || c > 0x7e || c == ':') {
                throw new IllegalArgumentException("header \"" + name
                        + "\" cannot be a NATS header: names must be printable ASCII without ':'");
            }
        }
        String lower = name.toLowerCase(Locale.ROOT);
        // A stored "Nats-Expected-Stream" or "Nats-Msg-Id" would silently change how JetStream
        // stores the message, and a "ce-…" one would be read as a CloudEvents attribute.
        if (lower.startsWith("nats-") || lower.startsWith(PREFIX) || lower.equals(CONTENT_TYPE)) {
            throw new IllegalArgumentException("header \"" + name
                    + "\" is reserved on NATS (Nats-*, ce-*, content-type are set by the transport)");
        }
    }

    /**
     * Percent-encodes a header value as the CloudEvents HTTP and NATS bindings prescribe: space,
     * {@code "}, {@code %} and every character outside U+0021..U+007E become {@code %XX} of their
     * UTF-8 bytes; everything else is unchanged.
     */
    static String encode(String value) {
        boolean plain = true;
        for (int i = 0; i < value.length() && plain; i++) {
            plain = !needsEncoding(value.charAt(i));
        }
        if (plain) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 16);
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (needsEncoding((char) c)) {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            } else {
                out.append((char) c);
            }
        }
        return out.toString();
    }

    private static boolean needsEncoding(char c) {
        return c < 0x21 || c > 0x7e || c == '"' || c == '%';
    }

    /**
     * Checks that {@code subject} is a literal NATS subject a message can be published to:
     * non-empty dot-separated tokens, no whitespace or control characters, no wildcards.
     *
     * @return why it is not, or {@code null} when it is
     */
    static String subjectProblem(String subject) {
        if (subject.isEmpty()) {
            return "subject must not be empty";
        }
        for (int i = 0; i < subject.length(); i++) {
            char c = subject.charAt(i);
            if (c <= 0x20 || c == 0x7f || Character.isWhitespace(c) || Character.isISOControl(c)) {
                return "subject \"" + subject + "\" must not contain whitespace or control characters";
            }
            if (c == '*' || c == '>') {
                return "subject \"" + subject + "\" must not contain the wildcards * or >";
            }
        }
        if (subject.startsWith(".") || subject.endsWith(".") || subject.contains("..")) {
            return "subject \"" + subject + "\" must not have empty tokens (leading, trailing or double dots)";
        }
        return null;
    }
}
