package dev.outbox.relay.transport.http;

import dev.outbox.relay.transport.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The HTTP headers of one event, CloudEvents HTTP binding in binary content mode, and the rules
 * for which header names may be sent at all. Pure functions, no I/O.
 */
final class WebhookHeaders {
    /** RFC 9110 token characters: what an HTTP header name may consist of. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /**
     * Names the JDK client refuses ({@code connection, content-length, expect, host, upgrade}) and
     * the other hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, not the event.
     */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
            "transfer-encoding");
    /** Names this transport sets itself; an event or configured header must not replace them. */
    private static final Set<String> OWN = Set.of("content-type", "webhook-id", "webhook-timestamp",
            "webhook-signature", "traceparent", "tracestate");
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private WebhookHeaders() {
    }

    /** A header to send, in order. */
    record Header(String name, String value) {
    }

    /**
     * The headers of {@code event} (the webhook-* signature headers are added at send time):
     * {@code Content-Type} from {@code datacontenttype}, every other attribute as {@code ce-<name>}
     * with its value percent-encoded, {@code traceparent}/{@code tracestate} also as plain W3C
     * headers, then the event's other headers unprefixed unless {@link #sendable} refuses the name
     * or a configured header has the same name (configuration wins).
     *
     * @param dropped receives the names of event headers that were not sent
     */
    static List<Header> of(CloudEvent event, Map<String, String> configured, List<String> dropped) {
        List<Header> headers = new ArrayList<>();
        headers.add(new Header("Content-Type", event.attributes().getOrDefault("datacontenttype", CloudEvent.CONTENT_TYPE)));
        event.attributes().forEach((name, value) -> {
            if (!name.equals("datacontenttype")) { // the binding maps it to Content-Type, never ce-datacontenttype
                headers.add(new Header("ce-" + name, percentEncode(value)));
            }
        });
        for (String w3c : List.of("traceparent", "tracestate")) {
            String value = event.attributes().get(w3c);
            if (value != null) {
                headers.add(new Header(w3c, percentEncode(value)));
            }
        }
        Set<String> configuredNames = lowerCase(configured.keySet());
        event.otherHeaders().forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!sendable(name) || configuredNames.contains(lower)) {
                dropped.add(name);
            } else {
                headers.add(new Header(name, percentEncode(value)));
            }
        });
        configured.forEach((name, value) -> headers.add(new Header(name, value)));
        return headers;
    }

    /**
     * Whether an event header may travel as an HTTP header: a valid token, not hop-by-hop or
     * refused by the JDK client, not one the transport sets, and not {@code ce-…} (which a
     * receiver would read as a CloudEvents attribute).
     */
    static boolean sendable(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return TOKEN.matcher(name).matches() && !RESTRICTED.contains(lower) && !OWN.contains(lower)
                && !lower.startsWith("ce-");
    }

    static boolean isToken(String name) {
        return TOKEN.matcher(name).matches();
    }

    /**
     * CloudEvents HTTP binding §3.1.3.2: space, {@code "}, {@code %} and every character outside
     * printable ASCII (U+0021–U+007E) become {@code %XX} of their UTF-8 bytes, upper-case hex.
     */
    static String percentEncode(String value) {
        StringBuilder out = null;
        for (int i = 0; i < value.length(); ) {
            int cp = value.codePointAt(i);
            int next = i + Character.charCount(cp);
            boolean plain = cp >= 0x21 && cp <= 0x7E && cp != '"' && cp != '%';
            if (plain) {
                if (out != null) {
                    out.append((char) cp);
                }
            } else {
                if (out == null) {
                    out = new StringBuilder(value.length() + 16).append(value, 0, i);
                }
                for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    out.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
                }
            }
            i = next;
        }
        return out == null ? value : out.toString();
    }

    private static Set<String> lowerCase(Set<String> names) {
        return Set.copyOf(names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList());
    }
}
