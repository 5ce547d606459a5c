package dev.outbox.relay.transport.pubsub;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The Pub/Sub message of an event: the CloudEvents Google Cloud Pub/Sub protocol binding, binary
 * content mode. Data = the payload's bytes unchanged. Every context attribute becomes a message
 * attribute {@code ce-<name>} ({@code ce-id}, {@code ce-type}, {@code ce-source},
 * {@code ce-specversion}, {@code ce-subject}, {@code ce-time}, extensions such as
 * {@code ce-traceparent}, {@code ce-correlationid}, {@code ce-aggregatetype}), except
 * {@code datacontenttype}, which the binding maps to {@code content-type}. Stored headers that are
 * not valid attribute names follow unprefixed. Ordering key = {@code aggregatetype/aggregateid}
 * ({@link #orderingKey}).
 *
 * <p>Left out of the stored headers: those a CloudEvents consumer would read as an attribute
 * ({@code ce-…}) or as the content type (the attributes this transport writes are the
 * authoritative ones), and those starting with {@code goog}, a prefix Pub/Sub reserves and
 * refuses. Pub/Sub's own limits (at most 100 attributes, names up to 256 bytes, values up to
 * 1024 bytes, 10 MB per message) are checked by the service, which refuses such an event for good.
 */
final class PubSubMessages {
    static final String PREFIX = "ce-";
    static final String CONTENT_TYPE = "content-type";
    /** Pub/Sub's limit on a publish request, which holds one event here (the client batches per ordering key). */
    static final int MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

    private PubSubMessages() {
    }

    /** The key Pub/Sub keeps order by: events of one aggregate of one type. */
    static String orderingKey(OutboxMessage m) {
        return m.aggregateType() + "/" + m.aggregateId();
    }

    static PubsubMessage of(OutboxMessage m, String source) {
        CloudEvent event = CloudEvent.of(m, source);
        return PubsubMessage.newBuilder().setData(ByteString.copyFrom(event.dataBytes()))
                .putAllAttributes(attributes(event)).setOrderingKey(orderingKey(m)).build();
    }

    static Map<String, String> attributes(CloudEvent event) {
        Map<String, String> attributes = new LinkedHashMap<>();
        event.attributes().forEach((name, value) -> attributes.put(
                name.equals("datacontenttype") ? CONTENT_TYPE : PREFIX + name, value));
        event.otherHeaders().forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!lower.startsWith(PREFIX) && !lower.equals(CONTENT_TYPE) && !lower.startsWith("goog")) {
                attributes.put(name, value);
            }
        });
        return attributes;
    }

    /** The size Pub/Sub counts against its limit: data, attribute names and values, ordering key. */
    static int size(PubsubMessage message) {
        int size = message.getData().size() + message.getOrderingKey().getBytes(StandardCharsets.UTF_8).length;
        for (Map.Entry<String, String> a : message.getAttributesMap().entrySet()) {
            size += a.getKey().getBytes(StandardCharsets.UTF_8).length
                    + a.getValue().getBytes(StandardCharsets.UTF_8).length;
        }
        return size;
    }
}
