package dev.outbox.relay.transport.sqs;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The wire format of the {@code sqs} transport: how one event becomes one SQS message. Called by
 * {@link SqsTransport} for every event; pure, cannot fail.
 *
 * <p><b>Body</b>: the payload's JSON text exactly as stored (CloudEvents binary content mode).
 *
 * <p><b>Message attributes</b> (all of type {@code String}). CloudEvents 1.0 has no SQS binding;
 * this follows the HTTP binding's {@code ce-} prefix. SQS allows at most
 * {@value #MAX_ATTRIBUTES} message attributes per message, so the set is fixed:
 * <ol>
 *   <li>{@code ce-specversion}, {@code ce-id} (the event id), {@code ce-source}, {@code ce-type},
 *       {@code ce-subject} (the aggregate id), {@code ce-time}, {@code ce-datacontenttype},
 *       {@code ce-aggregatetype} and {@code ce-traceparent} (when the event has one), each as its
 *       own attribute (nine at most);</li>
 *   <li>{@value #EXTRA}: everything else packed into one JSON object of strings, when there is
 *       anything: the other CloudEvents extension attributes as {@code "ce-<name>"}
 *       ({@code "ce-correlationid"}, {@code "ce-tracestate"}) and the stored headers that are not
 *       valid attribute names as {@code "h-<name>"} ({@code "h-X-Tenant"}), as the Redis transport
 *       prefixes them, so that neither can collide with the other.</li>
 * </ol>
 * Nothing is dropped, except that SQS refuses empty attribute values: an attribute or header whose
 * value is empty is left out.
 *
 * <p><b>FIFO queues</b>: {@code MessageGroupId} = the event's ordering key
 * ({@code aggregatetype/aggregateid}, {@link #groupId}), {@code MessageDeduplicationId} = the event
 * id, so that SQS drops a resend of the same event within its 5-minute deduplication interval.
 */
public final class SqsMessages {
    /** SQS's limit of message attributes per message. */
    public static final int MAX_ATTRIBUTES = 10;
    /** The attribute prefix of CloudEvents context attributes. */
    public static final String ATTRIBUTE_PREFIX = "ce-";
    /** The key prefix, inside {@link #EXTRA}, of stored headers that are not CloudEvents attributes. */
    public static final String HEADER_PREFIX = "h-";
    /** The attribute that packs the remaining extension attributes and headers into one JSON object. */
    public static final String EXTRA = "outbox-extra";
    /** Longest {@code MessageGroupId} SQS takes. */
    public static final int MAX_GROUP_ID = 128;
    /** What a key made into a group id by hashing starts with. */
    public static final String HASHED_GROUP_PREFIX = "sha256-";
    /** SQS's data type of every attribute here. */
    static final String STRING = "String";
    private static final List<String> OWN_ATTRIBUTES = List.of("specversion", "id", "source", "type", "subject",
            "time", "datacontenttype", "aggregatetype", "traceparent");

    private SqsMessages() {
    }

    /** The message attributes of one event, in a stable order: {@link #MAX_ATTRIBUTES} at most. */
    public static Map<String, String> attributes(CloudEvent event) {
        Map<String, String> attributes = new LinkedHashMap<>();
        Map<String, String> extra = new LinkedHashMap<>();
        Map<String, String> context = new HashMap<>(event.attributes());
        for (String name : OWN_ATTRIBUTES) {
            String value = context.remove(name);
            if (value != null && !value.isEmpty()) {
                attributes.put(ATTRIBUTE_PREFIX + name, value);
            }
        }
        event.attributes().forEach((name, value) -> {
            if (context.containsKey(name) && !value.isEmpty()) {
                extra.put(ATTRIBUTE_PREFIX + name, value);
            }
        });
        event.otherHeaders().forEach((name, value) -> {
            if (!value.isEmpty()) {
                extra.put(HEADER_PREFIX + name, value);
            }
        });
        if (!extra.isEmpty()) {
            attributes.put(EXTRA, json(extra));
        }
        return Collections.unmodifiableMap(attributes);
    }

    /**
     * The {@code MessageGroupId} of an event on a FIFO queue: its ordering key
     * {@code aggregatetype/aggregateid} as it is when that is a valid group id (1 to
     * {@value #MAX_GROUP_ID} characters of printable ASCII, {@code !} to {@code ~}); otherwise
     * (longer, or with spaces or non-ASCII characters) {@value #HASHED_GROUP_PREFIX} followed by the
     * 64 hex digits of the SHA-256 of the key's UTF-8 bytes: still one group per key, so per-key
     * order holds, and distinct keys stay in distinct groups.
     */
    public static String groupId(OutboxMessage m) {
        String key = m.aggregateType() + "/" + m.aggregateId();
        if (key.length() <= MAX_GROUP_ID && key.chars().allMatch(c -> c >= '!' && c <= '~')) {
            return key;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HASHED_GROUP_PREFIX + HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * The size SQS counts for a message: the UTF-8 bytes of the body and of each attribute's
     * name, data type and value.
     */
    public static long size(String body, Map<String, String> attributes) {
        long size = utf8Length(body);
        for (Map.Entry<String, String> a : attributes.entrySet()) {
            size += utf8Length(a.getKey()) + STRING.length() + utf8Length(a.getValue());
        }
        return size;
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** A flat JSON object of strings. */
    static String json(Map<String, String> values) {
        StringBuilder out = new StringBuilder("{");
        values.forEach((k, v) -> {
            if (out.length() > 1) {
                out.append(',');
            }
            quote(k, out);
            out.append(':');
            quote(v, out);
        });
        return out.append('}').toString();
    }

    private static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
