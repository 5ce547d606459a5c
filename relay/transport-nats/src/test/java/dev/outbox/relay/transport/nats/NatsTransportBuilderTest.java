package dev.outbox.relay.transport.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.Transport;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedders' builder checks with the settings of the sidecar's keys and names properties. */
class NatsTransportBuilderTest {

    @Test
    void settersCheckAtOnceNamingThePropertyTheRuleAndTheValue() {
        assertThatThrownBy(() -> NatsTransport.builder().ackTimeout(Duration.ofHours(1)))
                .isInstanceOf(OutboxException.class)
                .hasMessage("nats.ackTimeout must be between 1ms and 10m (was 1h)");
        assertThatThrownBy(() -> NatsTransport.builder().url("http://u:s3cret@host:4222"))
                .hasMessageStartingWith("nats.url must contain URLs of the form scheme://host[:port]")
                .hasMessageContaining("http://****@host:4222").hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> NatsTransport.builder().token(" "))
                .hasMessage("nats.token must not be blank when set");
        assertThatThrownBy(() -> NatsTransport.builder().routeDefault("${aggregateid}"))
                .hasMessageStartingWith("routeDefault may only use ${aggregatetype} and ${type}");
    }

    @Test
    void buildRequiresTheUrlAndAReadableCredentialsFile(@TempDir Path dir) {
        assertThatThrownBy(() -> NatsTransport.builder().routes("Order=orders").build())
                .isInstanceOf(OutboxException.class).hasMessageStartingWith("nats.url is required");
        assertThatThrownBy(() -> NatsTransport.builder().url("nats://127.0.0.1:1")
                .credentialsFile(dir.resolve("missing.creds")).build())
                .hasMessageContaining("must name a readable NATS .creds file").hasMessageContaining("missing.creds");
    }

    @Test
    void buildCreatesTheTransportEvenWhenNoServerIsReachableYet() {
        // Nothing listens on port 1: the first batch connects.
        try (Transport t = NatsTransport.builder().url("nats://127.0.0.1:1").token("t0ken")
                .ackTimeout(Duration.ofSeconds(1)).routes("Order=orders").cloudEventsSource("/orders-service").build()) {
            assertThat(t).isInstanceOf(NatsTransport.class);
        }
    }
}
