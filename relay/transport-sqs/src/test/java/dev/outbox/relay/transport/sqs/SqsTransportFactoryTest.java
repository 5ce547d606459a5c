package dev.outbox.relay.transport.sqs;

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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SqsTransportFactoryTest {

    @BeforeAll
    static void dummyCredentials() {
        // The SDK's default chain reads these first; no test here reaches AWS.
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
    }

    private static SqsSettings settings(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return SqsSettings.from(ConfigReader.require(SqsSettings.MODEL, values));
    }

    @Test
    void isFoundByNameWithTheServiceLoader() {
        assertThat(ServiceLoader.load(TransportFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(f -> f.name().equals("sqs")).findFirst()).get().isInstanceOf(SqsTransportFactory.class);
    }

    @Test
    void appliesDefaults() {
        SqsSettings s = settings();

        assertThat(s.endpoint()).isNull();
        assertThat(s.region()).isNull();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.source()).isEqualTo(CloudEvent.DEFAULT_SOURCE);
        assertThat(s.router().destination(message("Order"))).isEqualTo("Order");
        assertThat(s.address()).isEqualTo("AWS SQS");
    }

    @Test
    void readsEveryOption() {
        SqsSettings s = settings("OUTBOX_SQS_ENDPOINT", "http://127.0.0.1:5000", "OUTBOX_SQS_REGION", "eu-central-1",
                "OUTBOX_SQS_TIMEOUT", "2s", "OUTBOX_ROUTES", "Order=orders.fifo,Customer=https://sqs.eu-central-1"
                        + ".amazonaws.com/123456789012/customers", "OUTBOX_CLOUDEVENTS_SOURCE", "/shop");

        assertThat(s.endpoint()).isEqualTo(URI.create("http://127.0.0.1:5000"));
        assertThat(s.region()).isEqualTo("eu-central-1");
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(s.source()).isEqualTo("/shop");
        assertThat(s.router().destination(message("Order"))).isEqualTo("orders.fifo");
        assertThat(s.router().destination(message("Customer")))
                .isEqualTo("https://sqs.eu-central-1.amazonaws.com/123456789012/customers");
        assertThat(s.address()).isEqualTo("SQS at http://127.0.0.1:5000 (region eu-central-1)");
    }

    @Test
    void rejectsBadOptionsNamingKeyRuleAndValue() {
        assertThatThrownBy(() -> settings("OUTBOX_SQS_ENDPOINT", "ftp://h"))
                .hasMessageStartingWith("OUTBOX_SQS_ENDPOINT must be an http:// or https:// URL");
        assertThatThrownBy(() -> settings("OUTBOX_SQS_ENDPOINT", "https://key:topsecret@h"))
                .hasMessageContaining("no user info").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> settings("OUTBOX_SQS_REGION", "Frankfurt"))
                .hasMessage("OUTBOX_SQS_REGION must be an AWS region such as eu-central-1 (was \"Frankfurt\")");
        assertThatThrownBy(() -> settings("OUTBOX_SQS_TIMEOUT", "0s"))
                .hasMessage("OUTBOX_SQS_TIMEOUT must be between 100ms and 10m (was 0ms)");
        assertThatThrownBy(() -> settings("OUTBOX_ROUTES", "Order"))
                .hasMessageStartingWith("OUTBOX_ROUTES must be");
    }

    @Test
    void createsWithoutConnectingAndFailsTheBatchAsAnOutageWhenNothingListens() {
        // Port 1 on loopback: connection refused at once.
        try (Transport transport = transport(Map.of("OUTBOX_SQS_ENDPOINT", "http://127.0.0.1:1",
                "OUTBOX_SQS_REGION", "us-east-1", "OUTBOX_SQS_TIMEOUT", "2s"))) {
            assertThatThrownBy(() -> transport.send(List.of(message("Order"))))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue())
                    .hasMessageContaining("http://127.0.0.1:1");
        }
    }

    @Test
    void unroutableAndOversizedEventsFailPermanentlyWithoutTouchingTheServer() {
        try (Transport transport = transport(Map.of("OUTBOX_SQS_ENDPOINT", "http://127.0.0.1:1",
                "OUTBOX_SQS_REGION", "us-east-1", "OUTBOX_ROUTES", "Order=orders", "OUTBOX_ROUTE_DEFAULT", ""))) {
            OutboxMessage unrouted = message("Customer");
            OutboxMessage huge = new OutboxMessage(UUID.randomUUID(), 2, "Order", "a-2", "Happened",
                    "{\"x\": \"" + "x".repeat(SqsTransport.MAX_REQUEST_BYTES) + "\"}", Map.of(), Instant.now(), 1);

            List<SendResult> results = transport.send(List.of(unrouted, huge));

            assertThat(results).extracting(SendResult::eventId).containsExactly(unrouted.id(), huge.id());
            assertThat(results).allSatisfy(r -> assertThat(r.failure().retryable()).isFalse());
            assertThat(results.get(0).failure()).hasMessageContaining("no route");
            assertThat(results.get(1).failure()).hasMessageContaining("more than the 262144 bytes");
        }
    }

    @Test
    void theBuilderNamesThePropertyTheRuleAndTheValue() {
        assertThatThrownBy(() -> SqsTransport.builder().timeout(Duration.ZERO)).isInstanceOf(OutboxException.class)
                .hasMessage("sqs.timeout must be between 100ms and 10m (was 0ms)");
        assertThatThrownBy(() -> SqsTransport.builder().region("EU"))
                .hasMessageStartingWith("sqs.region must be an AWS region");
        assertThatThrownBy(() -> SqsTransport.builder().endpoint("mailto:x"))
                .hasMessageStartingWith("sqs.endpoint must be an http:// or https:// URL");
        assertThatThrownBy(() -> SqsTransport.builder().routes("Order").build())
                .hasMessageStartingWith("routes must be");
    }

    @Test
    void theBuilderCreatesTheTransportAsTheFactoryDoes() {
        try (Transport transport = SqsTransport.builder().endpoint("http://127.0.0.1:1").region("us-east-1")
                .timeout(Duration.ofSeconds(2)).routes("Order=orders").routeDefault("").build()) {
            assertThat(transport.send(List.of(message("Customer")))).singleElement()
                    .satisfies(r -> assertThat(r.failure()).hasMessageContaining("no route"));
            assertThatThrownBy(() -> transport.send(List.of(message("Order"))))
                    .isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue());
        }
    }

    private static Transport transport(Map<String, String> values) {
        SqsTransportFactory factory = new SqsTransportFactory();
        return factory.create(ConfigReader.require(factory.config(), values));
    }

    private static OutboxMessage message(String aggregateType) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, "a-1", "Happened", "{}", Map.of(),
                Instant.parse("2026-11-26T12:00:00Z"), 1);
    }
}
