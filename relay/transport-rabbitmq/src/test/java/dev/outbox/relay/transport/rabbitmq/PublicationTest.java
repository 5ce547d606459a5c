package dev.outbox.relay.transport.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PublicationTest {
    private static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static RabbitMqSettings settings(String... keysAndValues) {
        Map<String, String> values = new HashMap<>();
        values.put(RabbitMqSettings.URI.env(), "amqp://guest:guest@localhost/");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return RabbitMqSettings.from(ConfigReader.require(RabbitMqSettings.MODEL, values));
    }

    private static OutboxMessage message(String type, Map<String, String> headers) {
        return new OutboxMessage(UUID.fromString("01a2180f-14e2-755d-af1b-7a9c3fc57199"), 7, "Order", "o-42", type,
                "{\"total\": 9.50, \"é\": 1}", headers, Instant.parse("2026-11-26T12:00:00.123456Z"), 1);
    }

    @Test
    void mapsAnEventToAPersistentMessageInCloudEventsAmqpBinaryMode() {
        OutboxMessage m = message("OrderPlaced",
                Map.of("traceparent", TP, "correlationid", "req-1", "X-Tenant", "acme"));

        Publication p = Publication.of(m, settings(CloudEvent.SOURCE.env(), "/orders-service"));

        assertThat(p.exchange()).isEqualTo("outbox");
        assertThat(p.routingKey()).isEqualTo("Order.OrderPlaced");
        AMQP.BasicProperties props = p.properties();
        assertThat(props.getMessageId()).isEqualTo("01a2180f-14e2-755d-af1b-7a9c3fc57199");
        assertThat(props.getContentType()).isEqualTo("application/json");
        assertThat(props.getType()).isEqualTo("OrderPlaced");
        assertThat(props.getTimestamp()).isEqualTo(Date.from(m.occurredAt()));
        assertThat(props.getDeliveryMode()).isEqualTo(2);
        assertThat(props.getAppId()).isNull();
        assertThat(props.getHeaders()).containsOnly(
                Map.entry("X-Tenant", "acme"),
                Map.entry("cloudEvents:specversion", "1.0"),
                Map.entry("cloudEvents:id", "01a2180f-14e2-755d-af1b-7a9c3fc57199"),
                Map.entry("cloudEvents:source", "/orders-service"),
                Map.entry("cloudEvents:type", "OrderPlaced"),
                Map.entry("cloudEvents:subject", "o-42"),
                Map.entry("cloudEvents:time", "2026-11-26T12:00:00.123456Z"),
                Map.entry("cloudEvents:aggregatetype", "Order"),
                Map.entry("cloudEvents:correlationid", "req-1"),
                Map.entry("cloudEvents:traceparent", TP));
        assertThat(p.body()).isEqualTo("{\"total\": 9.50, \"é\": 1}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aStoredHeaderSpelledLikeAnAttributeHeaderCannotShadowIt() {
        Publication p = Publication.of(message("OrderPlaced", Map.of("cloudEvents:id", "forged")), settings());
        assertThat(p.properties().getHeaders()).containsEntry("cloudEvents:id", "01a2180f-14e2-755d-af1b-7a9c3fc57199");
    }

    @Test
    void anEventWithoutRouteFailsNonRetryably() {
        RabbitMqSettings s = settings(Router.ROUTES.env(), "Customer=customers", RabbitMqSettings.ROUTE_DEFAULT.env(), "");
        assertThatThrownBy(() -> Publication.of(message("OrderPlaced", Map.of()), s))
                .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.retryable()).isFalse())
                .hasMessageStartingWith("no route for aggregate type Order");
    }

    @Test
    void namesLongerThanAmqpShortStringsFailNonRetryablyBeforeAnythingIsSent() {
        String longType = "É".repeat(200); // 200 characters, 400 bytes
        assertThatThrownBy(() -> Publication.of(message(longType, Map.of()), settings()))
                .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.retryable()).isFalse())
                .hasMessageStartingWith("routing key must be at most 255 bytes in UTF-8 for AMQP (was 406 bytes");
        assertThatThrownBy(() -> Publication.of(message("OrderPlaced", Map.of("h".repeat(256), "v")), settings()))
                .hasMessageStartingWith("header name must be at most 255 bytes");
    }
}
