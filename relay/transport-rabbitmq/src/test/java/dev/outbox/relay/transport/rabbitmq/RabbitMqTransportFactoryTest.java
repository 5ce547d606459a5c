package dev.outbox.relay.transport.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RabbitMqTransportFactoryTest {
    private static final String URI_KEY = RabbitMqSettings.URI.env();
    private static final String ROUTING_KEY_KEY = RabbitMqSettings.ROUTING_KEY.env();
    private static final String CONFIRM_TIMEOUT_KEY = RabbitMqSettings.CONFIRM_TIMEOUT.env();
    private static final String DECLARE_EXCHANGE_KEY = RabbitMqSettings.DECLARE_EXCHANGE.env();
    private static final String SOURCE_KEY = CloudEvent.SOURCE.env();
    private static final String ROUTES_KEY = Router.ROUTES.env();
    private static final String ROUTE_DEFAULT_KEY = RabbitMqSettings.ROUTE_DEFAULT.env();
    private static final String URI = "amqp://app:s3cret@rabbit.internal:5672/orders";
    private final RabbitMqTransportFactory factory = new RabbitMqTransportFactory();

    private static RabbitMqSettings settings(String... keysAndValues) {
        Map<String, String> values = new HashMap<>();
        values.put(URI_KEY, URI);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return RabbitMqSettings.from(ConfigReader.require(RabbitMqSettings.MODEL, values));
    }

    private static OutboxMessage event(String aggregateType, String type) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, "o-1", type, "{}", Map.of(), Instant.EPOCH, 1);
    }

    @Test
    void defaultsRouteEveryEventToTheOutboxExchangeWithAggregateTypeDotTypeAsRoutingKey() {
        RabbitMqSettings s = settings();
        OutboxMessage m = event("Order", "OrderPlaced");
        assertThat(s.exchanges().destination(m)).isEqualTo("outbox");
        assertThat(s.routingKeys().destination(m)).isEqualTo("Order.OrderPlaced");
        assertThat(s.confirmTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.declareExchange()).isFalse();
        assertThat(s.source()).isEqualTo("/outbox");
    }

    @Test
    void routesPickTheExchangeAndTheTemplateTheRoutingKey() {
        RabbitMqSettings s = settings(ROUTES_KEY, "Order=orders,Order/OrderCancelled=cancellations",
                ROUTE_DEFAULT_KEY, "events.${aggregatetype}", ROUTING_KEY_KEY, "v1.${type}",
                CONFIRM_TIMEOUT_KEY, "5s", DECLARE_EXCHANGE_KEY, "true", SOURCE_KEY, "/orders-service");
        assertThat(s.exchanges().destination(event("Order", "OrderPlaced"))).isEqualTo("orders");
        assertThat(s.exchanges().destination(event("Order", "OrderCancelled"))).isEqualTo("cancellations");
        assertThat(s.exchanges().destination(event("Customer", "CustomerMoved"))).isEqualTo("events.Customer");
        assertThat(s.routingKeys().destination(event("Customer", "CustomerMoved"))).isEqualTo("v1.CustomerMoved");
        assertThat(s.confirmTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.declareExchange()).isTrue();
        assertThat(s.source()).isEqualTo("/orders-service");
    }

    @Test
    void rejectsOtherSchemesWithoutShowingThePassword() {
        assertThatThrownBy(() -> settings(URI_KEY, "http://app:s3cret@rabbit:5672/"))
                .hasMessageStartingWith(URI_KEY + " must start with amqp:// or amqps:// (was \"http://****@rabbit:5672/\")")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void rejectsAMalformedUriWithoutShowingThePassword() {
        assertThatThrownBy(() -> settings(URI_KEY, "amqp://app:s3cr et@rab bit:5672/"))
                .hasMessageStartingWith(URI_KEY + " must be a URI such as amqp://user:password@host:5672/vhost")
                .hasMessageNotContaining("s3cr")
                .hasNoCause();
    }

    @Test
    void rejectsAUriWithoutHostOrWithSeveralPathSegments() {
        assertThatThrownBy(() -> settings(URI_KEY, "amqp:///vhost")).hasMessageContaining("must name a host");
        assertThatThrownBy(() -> settings(URI_KEY, "amqp://app:s3cret@rabbit/a/b"))
                .hasMessageContaining("one virtual host").hasMessageNotContaining("s3cret");
    }

    @Test
    void rejectsConfirmTimeoutsThatAreZeroTooLongOrNotDurations() {
        assertThatThrownBy(() -> settings(CONFIRM_TIMEOUT_KEY, "0s"))
                .hasMessage(CONFIRM_TIMEOUT_KEY + " must be between 1ms and 1h (was 0ms)");
        assertThatThrownBy(() -> settings(CONFIRM_TIMEOUT_KEY, "2h"))
                .hasMessage(CONFIRM_TIMEOUT_KEY + " must be between 1ms and 1h (was 2h)");
        assertThatThrownBy(() -> settings(CONFIRM_TIMEOUT_KEY, "soon"))
                .hasMessageStartingWith(CONFIRM_TIMEOUT_KEY + " must be a duration");
    }

    @Test
    void rejectsABlankRoutingKeyTemplateOrAnUnknownPlaceholderNamingItsOwnKey() {
        assertThatThrownBy(() -> settings(ROUTING_KEY_KEY, " "))
                .hasMessageStartingWith(ROUTING_KEY_KEY + " must not be blank");
        assertThatThrownBy(() -> settings(ROUTING_KEY_KEY, "${aggregateid}"))
                .hasMessage(ROUTING_KEY_KEY + " may only use ${aggregatetype} and ${type} (was \"${aggregateid}\")");
    }

    @Test
    void rejectsAnInvalidDeclareFlagSourceOrRoute() {
        assertThatThrownBy(() -> settings(DECLARE_EXCHANGE_KEY, "yes"))
                .hasMessage(DECLARE_EXCHANGE_KEY + " must be true or false (was \"yes\")");
        assertThatThrownBy(() -> settings(SOURCE_KEY, " ")).hasMessageStartingWith(SOURCE_KEY + " must be");
        assertThatThrownBy(() -> settings(ROUTES_KEY, "Order")).hasMessageStartingWith(ROUTES_KEY);
    }

    @Test
    void masksTheUserInfoOfTheUri() {
        assertThat(settings().maskedUri()).isEqualTo("amqp://****@rabbit.internal:5672/orders");
        assertThat(settings().toString()).contains("amqp://****@rabbit.internal:5672/orders").doesNotContain("s3cret");
        // An unencoded @ in the password leaves no host: the message shows no part of the password.
        assertThatThrownBy(() -> settings(URI_KEY, "amqp://app:p@ss@rabbit/"))
                .hasMessageStartingWith(URI_KEY + " must name a host, as in amqp://user:password@host:5672/vhost"
                        + " (was \"amqp://****@rabbit/\")");
        assertThat(ConfigReader.require(factory.config(), Map.of(URI_KEY, URI)).toString()).doesNotContain("s3cret");
    }

    @Test
    void acceptsTlsUrisVerifiedAgainstTheJvmTrustStore() {
        Transport t = factory.create(ConfigReader.require(factory.config(), Map.of(URI_KEY, "amqps://app:s3cret@rabbit.internal/orders")));
        t.close();
    }
}
