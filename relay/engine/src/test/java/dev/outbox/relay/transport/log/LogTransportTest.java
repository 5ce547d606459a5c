package dev.outbox.relay.transport.log;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.config.ConfigReader;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class LogTransportTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @Test
    void writesOneJsonLinePerEventWithThePayloadEmbeddedAsJson() {
        OutboxMessage placed = message("Order", "o-1", "OrderPlaced", "{\"total\":12.5,\"items\":[1,2]}",
                Map.of("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
        OutboxMessage paid = message("Order", "o-2", "OrderPaid", "[\"a\"]", Map.of());

        List<SendResult> results = new LogTransport(out).send(List.of(placed, paid));

        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(2);
        JsonObject first = parse(lines.get(0));
        assertThat(first.getString("id")).isEqualTo(placed.id().toString());
        assertThat(first.getJsonNumber("seq").longValue()).isEqualTo(placed.seq());
        assertThat(first.getString("aggregatetype")).isEqualTo("Order");
        assertThat(first.getString("aggregateid")).isEqualTo("o-1");
        assertThat(first.getString("type")).isEqualTo("OrderPlaced");
        assertThat(first.getString("occurred_at")).isEqualTo("2026-11-26T12:00:00.123Z");
        assertThat(first.getInt("attempt")).isEqualTo(1);
        assertThat(first.getJsonObject("headers").getString("traceparent")).startsWith("00-0af7");
        assertThat(first.get("payload").getValueType()).isEqualTo(JsonValue.ValueType.OBJECT);
        assertThat(first.getJsonObject("payload").getJsonArray("items")).hasSize(2);
        assertThat(parse(lines.get(1)).get("payload").getValueType()).isEqualTo(JsonValue.ValueType.ARRAY);
        assertThat(results).extracting(SendResult::eventId).containsExactly(placed.id(), paid.id());
        assertThat(results).allMatch(SendResult::isAcknowledged);
    }

    @Test
    void escapesTextFieldsSoEveryLineStaysValidJson() {
        OutboxMessage tricky = message("Order", "quote\" and\nnewline", "Type\\with\ttab", "{}",
                Map.of("h", "\u2028line separator"));

        new LogTransport(out).send(List.of(tricky));

        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(1);
        assertThat(parse(lines.get(0)).getString("aggregateid")).isEqualTo("quote\" and\nnewline");
    }

    @Test
    void failsOnlyTheEventWhosePayloadIsNotJson() {
        OutboxMessage bad = message("Order", "o-1", "OrderPlaced", "{not json", Map.of());
        OutboxMessage good = message("Order", "o-2", "OrderPlaced", "{}", Map.of());

        List<SendResult> results = new LogTransport(out).send(List.of(bad, good));

        assertThat(results.get(0).isAcknowledged()).isFalse();
        assertThat(results.get(0).failure().retryable()).isFalse();
        assertThat(results.get(1).isAcknowledged()).isTrue();
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).hasSize(1);
    }

    @Test
    void isInstalledUnderTheNameLogWithoutConfigurationKeys() {
        var factory = ServiceLoader.load(dev.outbox.relay.spi.TransportFactory.class).stream()
                .map(ServiceLoader.Provider::get).filter(f -> f.name().equals("log")).findFirst();

        assertThat(factory).isPresent();
        assertThat(factory.get().config().settings()).isEmpty();
        assertThat(new LogTransportFactory(out).create(ConfigReader.require(new LogTransportFactory(out).config(), Map.of()))).isInstanceOf(LogTransport.class);
    }

    private static OutboxMessage message(String aggregateType, String aggregateId, String type, String payload,
                                         Map<String, String> headers) {
        return new OutboxMessage(UUID.randomUUID(), 42, aggregateType, aggregateId, type, payload, headers,
                Instant.parse("2026-11-26T12:00:00.123Z"), 1);
    }

    private static JsonObject parse(String line) {
        try (var reader = Json.createReader(new StringReader(line))) {
            return reader.readObject();
        }
    }
}
