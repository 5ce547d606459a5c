package dev.outbox.relay.transport.eventbridge;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;

/**
 * The wire format of the {@code eventbridge} transport: how one event becomes one
 * {@code PutEvents} entry. Called by {@link EventBridgeTransport} for every event; pure.
 *
 * <ul>
 *   <li>{@code EventBusName} = the route (a bus name or ARN; default {@code default});
 *       {@code Source} = the CloudEvents {@code source}; {@code DetailType} = the event type;
 *       {@code Time} = when the event occurred (EventBridge keeps whole seconds).</li>
 *   <li>{@code Detail} = the event as a CloudEvents 1.0 JSON-format document (structured mode):
 *       every context attribute as a string member ({@code specversion}, {@code id} = the event
 *       id, {@code source}, {@code type}, {@code subject} = the aggregate id, {@code time},
 *       {@code datacontenttype}, {@code aggregatetype}, extensions such as {@code traceparent} and
 *       {@code correlationid}), then {@code data}: the payload's JSON, inserted as stored.
 *       Why wrap rather than send the payload alone: an EventBridge entry has no headers, and the
 *       event EventBridge delivers carries an {@code id} of its own, so without the wrapper a
 *       consumer would have neither the event id (to deduplicate: delivery is at least once) nor
 *       the subject, trace context or correlation id. {@code Resources} is for ARNs, so it stays
 *       empty. Rules match on {@code detail.type}, {@code detail.data.…} and so on.</li>
 *   <li>Any payload travels: {@code Detail} must be a JSON object, and with the wrapper it always
 *       is; an array or a scalar payload ({@code [1,2]}, {@code "text"}, {@code 42}) is simply the
 *       value of {@code data}.</li>
 *   <li>Stored headers whose names are not valid CloudEvents attribute names (such as
 *       {@code X-Tenant}) travel in the object member {@value #HEADERS}, present only when there
 *       are any: its name can never be an attribute's (attribute names are a-z and 0-9 only).
 *       A strict CloudEvents parser may reject that member; strip it before handing the detail
 *       to one.</li>
 *   <li>{@code TraceHeader} (X-Ray, for tracing through EventBridge) is derived from a valid W3C
 *       {@code traceparent}: {@code Root=1-<first 8 hex of the trace id>-<other 24>;Parent=<parent
 *       id>;Sampled=<0|1>}, the mapping AWS' and OpenTelemetry's X-Ray propagators use; none
 *       without a valid traceparent. EventBridge does not hand it to targets such as SQS
 *       queues, so the traceparent is in {@code Detail} as well.</li>
 * </ul>
 * EventBridge re-serializes {@code Detail}: a consumer gets the payload's JSON value, not its
 * bytes (a number written {@code 12.50} may arrive as {@code 12.5}, non-ASCII text escaped).
 */
public final class EventBridgeEntries {
    /**
     * The most a {@code PutEvents} request may carry, counted as AWS counts it ("Calculating
     * PutEvents event entry size", EventBridge User Guide): per entry the UTF-8 bytes of
     * {@code Source}, {@code DetailType}, {@code Detail} and each of {@code Resources}, plus 14
     * bytes for {@code Time}; {@code EventBusName} and {@code TraceHeader} do not count. The total
     * of a request's entries must be less than 256 KB (262,144 bytes), so one entry of that size
     * or more can never be sent.
     */
    public static final int MAX_REQUEST_BYTES = 256 * 1024;
    /** At most this many entries per {@code PutEvents} request (an API limit). */
    public static final int MAX_ENTRIES_PER_REQUEST = 10;
    /** The {@code Detail} member holding stored headers that are not attribute names. */
    public static final String HEADERS = "_headers";
    /** What AWS counts for a set {@code Time}. */
    static final int TIME_BYTES = 14;

    private static final Pattern TRACEPARENT =
            Pattern.compile("00-([0-9a-f]{8})([0-9a-f]{24})-([0-9a-f]{16})-([0-9a-f]{2})");

    private EventBridgeEntries() {
    }

    /** The entry of one event for the bus {@code busName} (a name or an ARN). */
    public static PutEventsRequestEntry of(OutboxMessage m, String source, String busName) {
        CloudEvent event = CloudEvent.of(m, source);
        PutEventsRequestEntry.Builder entry = PutEventsRequestEntry.builder()
                .eventBusName(busName)
                .source(source)
                .detailType(m.type())
                .time(m.occurredAt())
                .detail(detail(event));
        String traceHeader = traceHeader(m.traceparent());
        if (traceHeader != null) {
            entry.traceHeader(traceHeader);
        }
        return entry.build();
    }

    /** {@code Detail}: the CloudEvents JSON document, {@code data} last and inserted as stored. */
    public static String detail(CloudEvent event) {
        StringBuilder json = new StringBuilder(event.data().length() + 512).append('{');
        for (Map.Entry<String, String> attribute : event.attributes().entrySet()) {
            appendString(json, attribute.getKey()).append(':');
            appendString(json, attribute.getValue()).append(',');
        }
        if (!event.otherHeaders().isEmpty()) {
            appendString(json, HEADERS).append(":{");
            boolean first = true;
            for (Map.Entry<String, String> header : event.otherHeaders().entrySet()) {
                if (!first) {
                    json.append(',');
                }
                first = false;
                appendString(json, header.getKey()).append(':');
                appendString(json, header.getValue());
            }
            json.append("},");
        }
        return json.append("\"data\":").append(event.data()).append('}').toString();
    }

    /** The X-Ray trace header of a W3C traceparent (version 00), or {@code null} if it is not one. */
    public static String traceHeader(String traceparent) {
        if (traceparent == null) {
            return null;
        }
        Matcher t = TRACEPARENT.matcher(traceparent.strip());
        // All-zero trace or parent ids are invalid in W3C Trace Context.
        if (!t.matches() || (t.group(1) + t.group(2)).chars().allMatch(c -> c == '0')
                || t.group(3).chars().allMatch(c -> c == '0')) {
            return null;
        }
        boolean sampled = (Integer.parseInt(t.group(4), 16) & 1) == 1;
        return "Root=1-" + t.group(1) + "-" + t.group(2) + ";Parent=" + t.group(3) + ";Sampled=" + (sampled ? 1 : 0);
    }

    /** The size of an entry as AWS counts it against {@link #MAX_REQUEST_BYTES}. */
    public static int size(PutEventsRequestEntry entry) {
        int size = entry.time() == null ? 0 : TIME_BYTES;
        size += utf8Length(entry.source()) + utf8Length(entry.detailType()) + utf8Length(entry.detail());
        for (String resource : entry.resources()) {
            size += utf8Length(resource);
        }
        return size;
    }

    private static int utf8Length(String text) {
        return text == null ? 0 : text.getBytes(StandardCharsets.UTF_8).length;
    }

    private static StringBuilder appendString(StringBuilder json, String text) {
        json.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                case '\b' -> json.append("\\b");
                case '\f' -> json.append("\\f");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"');
    }
}
