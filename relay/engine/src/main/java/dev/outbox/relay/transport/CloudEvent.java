package dev.outbox.relay.transport;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.config.Setting;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An outbox event as a CloudEvents 1.0 event in binary content mode: the context attributes
 * (which each protocol binding writes as headers with its own prefix: {@code ce_} for Kafka,
 * {@code ce-} for HTTP and NATS, {@code cloudEvents:} for AMQP) and the data, the payload's
 * JSON bytes unchanged.
 *
 * <ul>
 *   <li>{@code id} = event id, {@code type} = event type, {@code subject} = aggregate id,
 *       {@code time} = occurred_at (RFC 3339), {@code datacontenttype} = application/json,
 *       {@code source} = configured ({@code OUTBOX_CLOUDEVENTS_SOURCE}).</li>
 *   <li>The aggregate type travels as the extension {@code aggregatetype}, so consumers can route
 *       on it.</li>
 *   <li>Stored headers whose names are valid extension names (a-z, 0-9, at most 20 characters),
 *       such as {@code traceparent} (the Distributed Tracing extension) and
 *       {@code correlationid}, become extension attributes; other headers are passed on as plain
 *       headers, unprefixed ({@link #otherHeaders()}).</li>
 * </ul>
 *
 * @param attributes context attributes by name, in a stable order (required ones first)
 * @param otherHeaders stored headers that are not valid attribute names
 * @param data the event data: the payload's JSON text, exactly as stored
 */
public record CloudEvent(Map<String, String> attributes, Map<String, String> otherHeaders, String data) {
    public static final String SPEC_VERSION = "1.0";
    public static final String CONTENT_TYPE = "application/json";
    /** Default {@code source} when none is configured. */
    public static final String DEFAULT_SOURCE = "/outbox";
    /** The configuration key of {@code source}, read by every broker transport. */
    /** The CloudEvents {@code source} of every event; declared once, shared by every transport. */
    public static final Setting<String> SOURCE = Setting.text("cloudEventsSource", "OUTBOX_CLOUDEVENTS_SOURCE")
            .defaultValue(DEFAULT_SOURCE).check(CloudEvent::sourceProblem)
            .description("The CloudEvents `source` of the events, a URI-reference such as `/orders-service`.").build();
    private static final Pattern ATTRIBUTE_NAME = Pattern.compile("[a-z0-9]{1,20}");
    private static final Map<String, Boolean> RESERVED = Map.of("specversion", true, "id", true, "source", true,
            "type", true, "subject", true, "time", true, "datacontenttype", true, "dataschema", true, "data", true,
            "aggregatetype", true);

    public CloudEvent {
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        otherHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(otherHeaders));
    }

    /** Maps an outbox message; {@code source} is a URI-reference such as {@code /orders-service}. */
    public static CloudEvent of(OutboxMessage m, String source) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("specversion", SPEC_VERSION);
        attributes.put("id", m.id().toString());
        attributes.put("source", source);
        attributes.put("type", m.type());
        attributes.put("subject", m.aggregateId());
        attributes.put("time", DateTimeFormatter.ISO_INSTANT.format(m.occurredAt()));
        attributes.put("datacontenttype", CONTENT_TYPE);
        attributes.put("aggregatetype", m.aggregateType());
        Map<String, String> other = new LinkedHashMap<>();
        m.headers().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(h -> {
            if (isExtensionName(h.getKey())) {
                attributes.put(h.getKey(), h.getValue());
            } else {
                other.put(h.getKey(), h.getValue());
            }
        });
        return new CloudEvent(attributes, other, m.payload());
    }

    private static String sourceProblem(String source) {
        try {
            if (source.isEmpty()) {
                throw new URISyntaxException(source, "empty");
            }
            new URI(source);
            return null;
        } catch (URISyntaxException e) {
            return "must be a non-empty URI-reference such as /orders-service (was \"" + source + "\")";
        }
    }

    /** Whether a stored header can travel as a CloudEvents extension attribute. */
    public static boolean isExtensionName(String name) {
        return ATTRIBUTE_NAME.matcher(name).matches() && !RESERVED.containsKey(name);
    }

    public String id() {
        return attributes.get("id");
    }

    /** The data as UTF-8 bytes, the message body in binary mode. */
    public byte[] dataBytes() {
        return data.getBytes(StandardCharsets.UTF_8);
    }
}
