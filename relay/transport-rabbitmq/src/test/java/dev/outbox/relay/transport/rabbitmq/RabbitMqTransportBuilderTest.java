package dev.outbox.relay.transport.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.Transport;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The embedders' builder checks with the settings of the sidecar's keys and names properties. */
class RabbitMqTransportBuilderTest {

    @Test
    void settersCheckAtOnceNamingThePropertyTheRuleAndTheValue() {
        assertThatThrownBy(() -> RabbitMqTransport.builder().confirmTimeout(Duration.ofHours(2)))
                .isInstanceOf(OutboxException.class)
                .hasMessage("rabbitmq.confirmTimeout must be between 1ms and 1h (was 2h)");
        assertThatThrownBy(() -> RabbitMqTransport.builder().routingKey("${aggregateid}"))
                .hasMessage("rabbitmq.routingKey may only use ${aggregatetype} and ${type} (was \"${aggregateid}\")");
        assertThatThrownBy(() -> RabbitMqTransport.builder().routes("Order"))
                .hasMessageStartingWith("routes must be comma-separated");
        assertThatThrownBy(() -> RabbitMqTransport.builder().uri("http://app:s3cret@rabbit:5672/"))
                .hasMessage("rabbitmq.uri must start with amqp:// or amqps:// (was \"http://****@rabbit:5672/\")");
    }

    @Test
    void buildRequiresTheUri() {
        assertThatThrownBy(() -> RabbitMqTransport.builder().routes("Order=orders").build())
                .isInstanceOf(OutboxException.class).hasMessageStartingWith("rabbitmq.uri is required");
    }

    @Test
    void buildCreatesTheTransportWithoutConnecting() {
        // Nothing listens on port 1: the transport connects on its first batch, not here.
        try (Transport t = RabbitMqTransport.builder().uri("amqp://u:p@127.0.0.1:1/").routes("Order=orders")
                .declareExchange(true).cloudEventsSource("/orders-service").build()) {
            assertThat(t).isInstanceOf(RabbitMqTransport.class);
        }
    }
}
