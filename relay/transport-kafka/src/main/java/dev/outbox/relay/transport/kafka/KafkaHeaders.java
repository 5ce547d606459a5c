package dev.outbox.relay.transport.kafka;

import dev.outbox.relay.transport.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The Kafka record headers of an event: the CloudEvents Kafka protocol binding, binary content
 * mode. Every context attribute becomes a header {@code ce_<name>}, except
 * {@code datacontenttype}, which the binding maps to {@code content-type}; extension attributes
 * ({@code traceparent}, {@code correlationid}, …) likewise. Stored headers that are not valid
 * attribute names follow unprefixed. All values are UTF-8.
 *
 * <p>A stored header that a CloudEvents consumer would read as an attribute ({@code ce_…}) or as
 * the content type ({@code content-type}) is left out: the attributes this transport writes are
 * the authoritative ones, and Kafka allows repeated header names, so sending both would leave the
 * consumer to pick one.
 */
final class KafkaHeaders {
    static final String PREFIX = "ce_";
    static final String CONTENT_TYPE = "content-type";

    private KafkaHeaders() {
    }

    static List<Header> of(CloudEvent event) {
        List<Header> headers = new ArrayList<>(event.attributes().size() + event.otherHeaders().size());
        event.attributes().forEach((name, value) -> headers.add(header(
                name.equals("datacontenttype") ? CONTENT_TYPE : PREFIX + name, value)));
        event.otherHeaders().forEach((name, value) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!lower.startsWith(PREFIX) && !lower.equals(CONTENT_TYPE)) {
                headers.add(header(name, value));
            }
        });
        return headers;
    }

    private static Header header(String name, String value) {
        return new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
