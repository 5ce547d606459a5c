package dev.outbox.relay.transport.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.config.Naming;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PubSubTransportFactoryTest {
    private static final TransportFactory FACTORY = new PubSubTransportFactory();

    private static PubSubSettings settings(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put(PubSubSettings.PROJECT.env(), "my-project");
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return PubSubSettings.from(ConfigReader.require(FACTORY.config(), values), Naming.ENVIRONMENT);
    }

    @Test
    void isFoundByNameWithItsDeclaredSettings() {
        assertThat(ServiceLoader.load(TransportFactory.class).stream().map(p -> p.get().name())).contains("pubsub");
        assertThat(FACTORY.config().settings()).extracting(s -> s.env()).containsExactly("OUTBOX_PUBSUB_PROJECT",
                "OUTBOX_PUBSUB_ENDPOINT", "OUTBOX_PUBSUB_TIMEOUT", "OUTBOX_ROUTES", "OUTBOX_ROUTE_DEFAULT",
                "OUTBOX_CLOUDEVENTS_SOURCE");
    }

    @Test
    void appliesDefaults() {
        PubSubSettings s = settings();

        assertThat(s.project()).isEqualTo("my-project");
        assertThat(s.endpoint()).as("Google's endpoint with Application Default Credentials").isNull();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(25));
        assertThat(s.source()).isEqualTo("/outbox");
        assertThat(s.retrySettings().getTotalTimeoutDuration()).isEqualTo(Duration.ofSeconds(25));
        assertThat(settings("OUTBOX_PUBSUB_TIMEOUT", "2s").retrySettings().getTotalTimeoutDuration())
                .as("the least the client takes").isEqualTo(Duration.ofSeconds(10));
        assertThat(settings("OUTBOX_PUBSUB_ENDPOINT", "127.0.0.1:8085").endpoint()).isEqualTo("127.0.0.1:8085");
    }

    @Test
    void routesByAggregateTypeByDefault() {
        OutboxMessage m = new OutboxMessage(UUID.randomUUID(), 1, "Order", "o-1", "OrderPlaced", "{}", Map.of(),
                Instant.now(), 1);

        assertThat(settings().router().destination(m)).isEqualTo("Order");
        assertThat(settings("OUTBOX_ROUTES", "Order=orders").router().destination(m)).isEqualTo("orders");
        assertThatThrownBy(() -> settings("OUTBOX_ROUTE_DEFAULT", "").router().destination(m))
                .hasMessageContaining("no route for aggregate type Order");
    }

    @Test
    void rejectsBadValuesNamingKeyRuleAndValue() {
        assertThatThrownBy(() -> settings("OUTBOX_PUBSUB_PROJECT", "My Project"))
                .hasMessageStartingWith("OUTBOX_PUBSUB_PROJECT must be").hasMessageEndingWith("(was \"My Project\")");
        assertThatThrownBy(() -> settings("OUTBOX_PUBSUB_ENDPOINT", "localhost"))
                .hasMessage("OUTBOX_PUBSUB_ENDPOINT must be host:port with a port 1-65535 (was \"localhost\")");
        assertThatThrownBy(() -> settings("OUTBOX_PUBSUB_ENDPOINT", "localhost:99999"))
                .hasMessageContaining("(was \"localhost:99999\")");
        assertThatThrownBy(() -> settings("OUTBOX_PUBSUB_TIMEOUT", "0s"))
                .hasMessage("OUTBOX_PUBSUB_TIMEOUT must be between 1s and 10m (was 0ms)");
        assertThatThrownBy(() -> settings("OUTBOX_CLOUDEVENTS_SOURCE", " "))
                .hasMessageStartingWith("OUTBOX_CLOUDEVENTS_SOURCE must be a non-empty URI-reference");
        assertThatThrownBy(() -> ConfigReader.require(FACTORY.config(), Map.of()))
                .hasMessageContaining("OUTBOX_PUBSUB_PROJECT");
    }

    @Test
    void builderChecksEachValueAtOnceNamingTheProperty() {
        assertThatThrownBy(() -> PubSubTransport.builder().endpoint("localhost")).isInstanceOf(OutboxException.class)
                .hasMessage("pubsub.endpoint must be host:port with a port 1-65535 (was \"localhost\")");
        assertThatThrownBy(() -> PubSubTransport.builder().timeout(Duration.ofMinutes(11)))
                .hasMessage("pubsub.timeout must be between 1s and 10m (was 11m)");
        assertThatThrownBy(() -> PubSubTransport.builder().project("x"))
                .hasMessageStartingWith("pubsub.project must be");
        assertThatThrownBy(() -> PubSubTransport.builder().routes("Order=orders").build())
                .hasMessageStartingWith("pubsub.project is required");
    }

    @Test
    void createsWithoutConnecting() {
        // Port 1: nothing listens there; creating does not connect, nor does it look for credentials.
        try (Transport transport = PubSubTransport.builder().project("my-project").endpoint("127.0.0.1:1")
                .timeout(Duration.ofSeconds(3)).routes("Order=orders").routeDefault("").cloudEventsSource("/shop")
                .build()) {
            assertThat(transport).isInstanceOf(PubSubTransport.class);
        }
        try (Transport transport = FACTORY.create(ConfigReader.require(FACTORY.config(),
                Map.of("OUTBOX_PUBSUB_PROJECT", "my-project")))) {
            assertThat(transport).isInstanceOf(PubSubTransport.class);
        }
    }
}
