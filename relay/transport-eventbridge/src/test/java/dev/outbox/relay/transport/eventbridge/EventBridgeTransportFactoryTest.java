package dev.outbox.relay.transport.eventbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.transport.CloudEvent;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Settings, factory and builder; the sends here reach no server (port 1 refuses at once). */
class EventBridgeTransportFactoryTest {
    private static final String NOWHERE = "http://127.0.0.1:1";

    private static EventBridgeSettings settings(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return EventBridgeSettings.from(ConfigReader.require(EventBridgeSettings.MODEL, values));
    }

    @Test
    void isFoundByNameAndDeclaresItsSettings() {
        TransportFactory factory = ServiceLoader.load(TransportFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(f -> f.name().equals("eventbridge")).findFirst().orElseThrow();

        assertThat(factory).isInstanceOf(EventBridgeTransportFactory.class);
        assertThat(factory.config()).isSameAs(EventBridgeSettings.MODEL);
    }

    @Test
    void appliesDefaults() {
        EventBridgeSettings s = settings();

        assertThat(s.endpoint()).isNull();
        assertThat(s.region()).isNull();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.source()).isEqualTo(CloudEvent.DEFAULT_SOURCE);
        assertThat(s.router().destination(message("Order", "{}"))).as("the account's default bus").isEqualTo("default");
    }

    @Test
    void readsEndpointRegionTimeoutRoutesAndSource() {
        EventBridgeSettings s = settings("OUTBOX_EVENTBRIDGE_ENDPOINT", "http://127.0.0.1:5000",
                "OUTBOX_EVENTBRIDGE_REGION", "eu-central-1", "OUTBOX_EVENTBRIDGE_TIMEOUT", "2s",
                "OUTBOX_ROUTES", "Order=orders-bus,Order/OrderCancelled=arn:aws:events:eu-central-1:123456789012:event-bus/x",
                "OUTBOX_ROUTE_DEFAULT", "events-${aggregatetype}", "OUTBOX_CLOUDEVENTS_SOURCE", "/shop");

        assertThat(s.endpoint()).isEqualTo(URI.create("http://127.0.0.1:5000"));
        assertThat(s.region()).isEqualTo("eu-central-1");
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.source()).isEqualTo("/shop");
        assertThat(s.router().destination(message("Order", "{}"))).isEqualTo("orders-bus");
        assertThat(s.router().destination(message("Customer", "{}"))).isEqualTo("events-Customer");
        assertThat(s.toString()).contains("http://127.0.0.1:5000", "eu-central-1");
    }

    @Test
    void rejectsBadValuesNamingKeyRuleAndValue() {
        assertThatThrownBy(() -> settings("OUTBOX_EVENTBRIDGE_ENDPOINT", "ftp://h"))
                .hasMessageStartingWith("OUTBOX_EVENTBRIDGE_ENDPOINT must start with http:// or https://");
        assertThatThrownBy(() -> settings("OUTBOX_EVENTBRIDGE_ENDPOINT", "http://u:topsecret@h:5000"))
                .hasMessageContaining("must not have user info").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> settings("OUTBOX_EVENTBRIDGE_ENDPOINT", "http:///x"))
                .hasMessageContaining("must name a host");
        assertThatThrownBy(() -> settings("OUTBOX_EVENTBRIDGE_REGION", "Frankfurt"))
                .hasMessage("OUTBOX_EVENTBRIDGE_REGION must be an AWS region name such as eu-central-1 (was \"Frankfurt\")");
        assertThatThrownBy(() -> settings("OUTBOX_EVENTBRIDGE_TIMEOUT", "0s"))
                .hasMessage("OUTBOX_EVENTBRIDGE_TIMEOUT must be between 1ms and 10m (was 0ms)");
        assertThatThrownBy(() -> settings("OUTBOX_ROUTES", "Order"))
                .hasMessageStartingWith("OUTBOX_ROUTES must be");
    }

    @Test
    void createsWithoutSendingAndAnUnreachableEndpointIsAnOutageOfTheWholeBatch() {
        try (Transport transport = transport(Map.of("OUTBOX_EVENTBRIDGE_ENDPOINT", NOWHERE,
                "OUTBOX_EVENTBRIDGE_REGION", "us-east-1", "OUTBOX_EVENTBRIDGE_TIMEOUT", "2s"))) {
            assertThatThrownBy(() -> transport.send(List.of(message("Order", "{}"), message("Customer", "{}"))))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue())
                    .hasMessageContaining("127.0.0.1:1").hasMessageContaining("got no answer");
        }
    }

    @Test
    void anUnroutableOrTooLargeEventFailsPermanentlyWithoutTouchingTheEndpoint() {
        try (Transport transport = transport(Map.of("OUTBOX_EVENTBRIDGE_ENDPOINT", NOWHERE,
                "OUTBOX_EVENTBRIDGE_REGION", "us-east-1", "OUTBOX_ROUTES", "Order=orders", "OUTBOX_ROUTE_DEFAULT", ""))) {
            OutboxMessage unroutable = message("Customer", "{}");
            OutboxMessage tooLarge = message("Order", "{\"blob\": \"" + "x".repeat(EventBridgeEntries.MAX_REQUEST_BYTES) + "\"}");

            List<SendResult> results = transport.send(List.of(unroutable, tooLarge));

            assertThat(results.get(0).eventId()).isEqualTo(unroutable.id());
            assertThat(results.get(0).failure().retryable()).isFalse();
            assertThat(results.get(0).failure()).hasMessageContaining("no route");
            assertThat(results.get(1).eventId()).isEqualTo(tooLarge.id());
            assertThat(results.get(1).failure().retryable()).isFalse();
            assertThat(results.get(1).failure()).hasMessageContaining("262144 bytes").hasMessageContaining("bus orders");
        }
    }

    @Test
    void theBuilderNamesThePropertyTheRuleAndTheValue() {
        assertThatThrownBy(() -> EventBridgeTransport.builder().timeout(Duration.ZERO)).isInstanceOf(OutboxException.class)
                .hasMessage("eventbridge.timeout must be between 1ms and 10m (was 0ms)");
        assertThatThrownBy(() -> EventBridgeTransport.builder().region("EU"))
                .hasMessageStartingWith("eventbridge.region must be an AWS region name");
        assertThatThrownBy(() -> EventBridgeTransport.builder().endpoint("localhost:5000"))
                .hasMessageStartingWith("eventbridge.endpoint must");
        assertThatThrownBy(() -> EventBridgeTransport.builder().routes("Order").build())
                .hasMessageStartingWith("routes must be");
    }

    @Test
    void theBuilderCreatesTheTransportAsTheFactoryDoes() {
        try (Transport transport = EventBridgeTransport.builder().endpoint(NOWHERE).region("us-east-1")
                .timeout(Duration.ofSeconds(2)).routes("Order=orders").routeDefault("").cloudEventsSource("/shop").build()) {
            assertThat(transport.send(List.of(message("Customer", "{}")))).singleElement()
                    .satisfies(r -> assertThat(r.failure()).hasMessageContaining("no route"));
            assertThatThrownBy(() -> transport.send(List.of(message("Order", "{}"))))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue());
        }
    }

    @Test
    void classifiesResultCodes() {
        assertThat(EventBridgeTransport.RETRYABLE_CODES).contains("ThrottlingException", "InternalFailure")
                .doesNotContain("MalformedDetail", "ValidationException", "InvalidArgument", "AccessDeniedException");
    }

    private static Transport transport(Map<String, String> values) {
        EventBridgeTransportFactory factory = new EventBridgeTransportFactory();
        return factory.create(ConfigReader.require(factory.config(), values));
    }

    private static OutboxMessage message(String aggregateType, String payload) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, "a-1", "Happened", payload, Map.of(),
                Instant.parse("2026-11-26T12:00:00Z"), 1);
    }
}
