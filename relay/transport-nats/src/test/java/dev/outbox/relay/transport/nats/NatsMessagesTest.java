package dev.outbox.relay.transport.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import io.nats.client.impl.Headers;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class NatsMessagesTest {
    private static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static CloudEvent event(UUID id, String aggregateId, Map<String, String> headers) {
        return CloudEvent.of(new OutboxMessage(id, 7, "Order", aggregateId, "OrderPlaced", "{}", headers,
                Instant.parse("2026-11-26T12:00:00.123456Z"), 1), "/orders-service");
    }

    @Test
    void putsEveryAttributeInACePrefixedHeaderAndTheEventIdInNatsMsgId() {
        UUID id = UUID.randomUUID();
        Headers h = NatsMessages.headers(event(id, "o-42", Map.of("traceparent", TP, "correlationid", "req-1",
                "X-Tenant", "acme")));

        assertThat(h.getFirst("Nats-Msg-Id")).isEqualTo(id.toString());
        assertThat(h.getFirst("ce-specversion")).isEqualTo("1.0");
        assertThat(h.getFirst("ce-id")).isEqualTo(id.toString());
        assertThat(h.getFirst("ce-source")).isEqualTo("/orders-service");
        assertThat(h.getFirst("ce-type")).isEqualTo("OrderPlaced");
        assertThat(h.getFirst("ce-subject")).isEqualTo("o-42");
        assertThat(h.getFirst("ce-time")).isEqualTo("2026-11-26T12:00:00.123456Z");
        assertThat(h.getFirst("ce-aggregatetype")).isEqualTo("Order");
        assertThat(h.getFirst("ce-traceparent")).isEqualTo(TP);
        assertThat(h.getFirst("ce-correlationid")).isEqualTo("req-1");
        assertThat(h.getFirst("content-type")).as("datacontenttype travels as content-type").isEqualTo("application/json");
        assertThat(h.containsKey("ce-datacontenttype")).isFalse();
        assertThat(h.getFirst("X-Tenant")).as("other headers unprefixed").isEqualTo("acme");
        assertThat(h.keySet()).hasSize(12);
    }

    @Test
    void percentEncodesValuesThatNatsHeadersCannotCarry() {
        Headers h = NatsMessages.headers(event(UUID.randomUUID(), "Zoë 100%", Map.of("X-Note", "a \"b\"")));

        assertThat(h.getFirst("ce-subject")).isEqualTo("Zo%C3%AB%20100%25");
        assertThat(h.getFirst("X-Note")).isEqualTo("a%20%22b%22");
        assertThat(NatsMessages.encode("plain-ASCII_value/1:2")).isEqualTo("plain-ASCII_value/1:2");
        assertThat(NatsMessages.encode("😀\r\n")).isEqualTo("%F0%9F%98%80%0D%0A");
    }

    @Test
    void rejectsStoredHeadersThatCannotBeOrMustNotBeNatsHeaders() {
        assertThatThrownBy(() -> NatsMessages.headers(event(UUID.randomUUID(), "k", Map.of("X Tenant", "a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"X Tenant\"");
        assertThatThrownBy(() -> NatsMessages.headers(event(UUID.randomUUID(), "k", Map.of("X:Tenant", "a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("printable ASCII");
        assertThatThrownBy(() -> NatsMessages.headers(event(UUID.randomUUID(), "k", Map.of("Nats-Expected-Stream", "x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
        assertThatThrownBy(() -> NatsMessages.headers(event(UUID.randomUUID(), "k", Map.of("ce-id", "x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
        assertThatThrownBy(() -> NatsMessages.headers(event(UUID.randomUUID(), "k", Map.of("Content-Type", "x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
    }

    @Test
    void acceptsLiteralSubjectsOnly() {
        assertThat(NatsMessages.subjectProblem("Order")).isNull();
        assertThat(NatsMessages.subjectProblem("events.Order.OrderPlaced")).isNull();
        assertThat(NatsMessages.subjectProblem("events.Bestellung-Ä_1")).isNull();

        assertThat(NatsMessages.subjectProblem("")).contains("empty");
        assertThat(NatsMessages.subjectProblem("order placed")).contains("whitespace");
        assertThat(NatsMessages.subjectProblem("order\tplaced")).contains("whitespace");
        assertThat(NatsMessages.subjectProblem("events.*")).contains("wildcards");
        assertThat(NatsMessages.subjectProblem("events.>")).contains("wildcards");
        assertThat(NatsMessages.subjectProblem("a*b")).contains("wildcards");
        assertThat(NatsMessages.subjectProblem(".events")).contains("empty tokens");
        assertThat(NatsMessages.subjectProblem("events.")).contains("empty tokens");
        assertThat(NatsMessages.subjectProblem("events..Order")).contains("empty tokens");
    }
}
