package dev.outbox.relay.transport.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

class KafkaHeadersTest {
    private static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private final UUID id = UUID.randomUUID();

    private OutboxMessage message(Map<String, String> headers) {
        return new OutboxMessage(id, 7, "Order", "o-42 ü", "OrderPlaced", "{\"total\": 9.50, \"é\": \"😀\"}", headers,
                Instant.parse("2026-11-26T12:00:00.123456Z"), 1);
    }

    @Test
    void writesCloudEventsAttributesAsCePrefixedHeadersAndTheContentTypeAsContentType() {
        ProducerRecord<byte[], byte[]> record = KafkaTransport.record("orders",
                message(Map.of("traceparent", TP, "correlationid", "req-1", "X-Tenant", "acme")), "/orders-service");

        assertThat(record.headers().toArray()).extracting(Header::key).containsExactly(
                "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "content-type",
                "ce_aggregatetype", "ce_correlationid", "ce_traceparent", "X-Tenant");
        assertThat(value(record, "ce_specversion")).isEqualTo("1.0");
        assertThat(value(record, "ce_id")).isEqualTo(id.toString());
        assertThat(value(record, "ce_source")).isEqualTo("/orders-service");
        assertThat(value(record, "ce_type")).isEqualTo("OrderPlaced");
        assertThat(value(record, "ce_subject")).isEqualTo("o-42 ü");
        assertThat(value(record, "ce_time")).isEqualTo("2026-11-26T12:00:00.123456Z");
        assertThat(value(record, "content-type")).isEqualTo("application/json");
        assertThat(value(record, "ce_aggregatetype")).isEqualTo("Order");
        assertThat(value(record, "ce_traceparent")).isEqualTo(TP);
        assertThat(value(record, "ce_correlationid")).isEqualTo("req-1");
        assertThat(value(record, "X-Tenant")).as("other headers unprefixed").isEqualTo("acme");
    }

    @Test
    void keysByAggregateIdAndKeepsThePayloadBytes() {
        ProducerRecord<byte[], byte[]> record = KafkaTransport.record("orders", message(Map.of()), "/outbox");

        assertThat(record.topic()).isEqualTo("orders");
        assertThat(record.partition()).as("the partitioner picks it from the key").isNull();
        assertThat(record.key()).isEqualTo("o-42 ü".getBytes(StandardCharsets.UTF_8));
        assertThat(record.value()).isEqualTo("{\"total\": 9.50, \"é\": \"😀\"}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void leavesOutStoredHeadersThatWouldShadowTheAttributesOrTheContentType() {
        ProducerRecord<byte[], byte[]> record = KafkaTransport.record("orders",
                message(Map.of("ce_type", "Spoofed", "Content-Type", "text/plain", "type", "shadow")), "/outbox");

        assertThat(record.headers().headers("ce_type")).hasSize(1);
        assertThat(value(record, "ce_type")).isEqualTo("OrderPlaced");
        assertThat(record.headers().headers("Content-Type")).isEmpty();
        assertThat(value(record, "type")).as("a reserved attribute name travels as a plain header").isEqualTo("shadow");
    }

    private static String value(ProducerRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
