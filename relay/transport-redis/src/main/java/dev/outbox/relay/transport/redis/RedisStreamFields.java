package dev.outbox.relay.transport.redis;

import dev.outbox.relay.transport.CloudEvent;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The wire format of the {@code redis} transport: how one event becomes the field-value pairs of
 * one stream entry ({@code XADD <stream> * field value …}). Called by {@link RedisTransport} for
 * every event; pure, cannot fail.
 *
 * <p>CloudEvents 1.0 has no Redis Streams binding, so this follows the Kafka binding's binary
 * content mode, which is also a flat list of name/value pairs:
 * <ul>
 *   <li>every context attribute as {@code ce_<name>}: {@code ce_specversion}, {@code ce_id} (the
 *       event id), {@code ce_source}, {@code ce_type}, {@code ce_subject} (the aggregate id),
 *       {@code ce_time}, {@code ce_datacontenttype}, {@code ce_aggregatetype} and extensions such
 *       as {@code ce_traceparent} and {@code ce_correlationid};</li>
 *   <li>every other stored header (a name that is not a valid attribute name, such as
 *       {@code X-Tenant}) as {@code h_<name>}: Kafka keeps headers apart from the body, but a
 *       stream entry has one flat namespace, and an unprefixed header named {@code data} or
 *       {@code ce_id} would collide with the fields above;</li>
 *   <li>{@code data}: the payload's JSON, byte for byte as stored (UTF-8), last.</li>
 * </ul>
 */
public final class RedisStreamFields {
    /** Prefix of CloudEvents context attribute fields. */
    public static final String ATTRIBUTE_PREFIX = "ce_";
    /** Prefix of fields that carry stored headers which are not CloudEvents attributes. */
    public static final String HEADER_PREFIX = "h_";
    /** The field holding the event data (the payload). */
    public static final String DATA = "data";

    private RedisStreamFields() {
    }

    /** The fields of one stream entry, in a stable order: attributes, other headers, data. */
    public static Map<String, String> of(CloudEvent event) {
        Map<String, String> fields = new LinkedHashMap<>();
        event.attributes().forEach((name, value) -> fields.put(ATTRIBUTE_PREFIX + name, value));
        event.otherHeaders().forEach((name, value) -> fields.put(HEADER_PREFIX + name, value));
        fields.put(DATA, event.data());
        return Collections.unmodifiableMap(fields);
    }
}
