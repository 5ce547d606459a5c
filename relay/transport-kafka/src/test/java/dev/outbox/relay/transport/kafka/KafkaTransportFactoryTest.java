package dev.outbox.relay.transport.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.config.Naming;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaTransportFactoryTest {
    private static final String SECRET = "s3cr3t-pa55word";

    @TempDir
    Path dir;

    private static final TransportFactory FACTORY = new KafkaTransportFactory();

    private static KafkaSettings settings(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put(KafkaSettings.BOOTSTRAP_SERVERS.env(), "127.0.0.1:9092");
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return KafkaSettings.from(ConfigReader.require(FACTORY.config(), values), Naming.ENVIRONMENT);
    }

    @Test
    void appliesDefaultsAndAlwaysProducesIdempotentlyWithAcksAll() {
        KafkaSettings s = settings();
        Map<String, Object> p = s.producerProperties();

        assertThat(s.clientId()).isEqualTo("outbox-relay");
        assertThat(s.ackTimeout()).isEqualTo(Duration.ofSeconds(25));
        assertThat(s.maxBlock()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.source()).isEqualTo("/outbox");
        assertThat(p).containsEntry("enable.idempotence", true).containsEntry("acks", "all")
                .containsEntry("max.in.flight.requests.per.connection", 5).containsEntry("compression.type", "none")
                .containsEntry("max.request.size", 1_048_576).containsEntry("max.block.ms", 5000L)
                .containsEntry("delivery.timeout.ms", 25_000).containsEntry("request.timeout.ms", 25_000).containsEntry("linger.ms", 0);
        assertThat(s.adminProperties()).containsEntry("client.id", "outbox-relay-admin")
                .containsEntry("bootstrap.servers", "127.0.0.1:9092");
    }

    @Test
    void routesByAggregateTypeByDefault() {
        var m = new dev.outbox.relay.spi.OutboxMessage(java.util.UUID.randomUUID(), 1, "Order", "o-1", "OrderPlaced",
                "{}", Map.of(), java.time.Instant.now(), 1);

        assertThat(settings().router().destination(m)).isEqualTo("Order");
        assertThat(settings("OUTBOX_ROUTES", "Order=orders").router().destination(m)).isEqualTo("orders");
        assertThatThrownBy(() -> settings("OUTBOX_ROUTE_DEFAULT", "").router().destination(m))
                .hasMessageContaining("no route for aggregate type Order");
    }

    @Test
    void rejectsBadValuesNamingKeyRuleAndValue() {
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_BOOTSTRAP_SERVERS", "localhost"))
                .hasMessage("OUTBOX_KAFKA_BOOTSTRAP_SERVERS must be comma-separated host:port pairs with ports 1-65535"
                        + " (was \"localhost\")");
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_BOOTSTRAP_SERVERS", "a:9092,b:99999"))
                .hasMessageContaining("(was \"a:9092,b:99999\")");
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_COMPRESSION", "brotli"))
                .hasMessage("OUTBOX_KAFKA_COMPRESSION must be one of none, gzip, snappy, lz4, zstd (was \"brotli\")");
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_MAX_REQUEST_SIZE", "12"))
                .hasMessage("OUTBOX_KAFKA_MAX_REQUEST_SIZE must be between 1024 and 2147483647 (was 12)");
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_ACK_TIMEOUT", "0s"))
                .hasMessage("OUTBOX_KAFKA_ACK_TIMEOUT must be between 1s and 10m (was 0ms)");
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_MAX_BLOCK", "soon"))
                .hasMessageStartingWith("OUTBOX_KAFKA_MAX_BLOCK must be a duration").hasMessageContaining("\"soon\"");
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_CLIENT_ID", "a b"))
                .hasMessageStartingWith("OUTBOX_KAFKA_CLIENT_ID must be").hasMessageEndingWith("(was \"a b\")");
        assertThatThrownBy(() -> settings("OUTBOX_CLOUDEVENTS_SOURCE", " "))
                .hasMessage("OUTBOX_CLOUDEVENTS_SOURCE must be a non-empty URI-reference such as /orders-service (was \"\")");
        assertThatThrownBy(() -> settings("OUTBOX_ROUTES", "Order"))
                .hasMessageStartingWith("OUTBOX_ROUTES must be");
    }

    @Test
    void takesSecurityPropertiesFromTheFileForProducerAndAdminButNeverShowsTheirValues() throws IOException {
        Path file = properties("security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\n"
                + "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\""
                + " password=\"" + SECRET + "\";\nlinger.ms=20\n");

        KafkaSettings s = settings("OUTBOX_KAFKA_PROPERTIES_FILE", file.toString());

        assertThat(s.producerProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("linger.ms", "20").containsEntry("enable.idempotence", true);
        assertThat(s.adminProperties()).containsEntry("sasl.mechanism", "PLAIN").doesNotContainKey("linger.ms");
        assertThat(s.toString()).doesNotContain(SECRET).contains("sasl.jaas.config");
    }

    @Test
    void refusesFilePropertiesThatWouldWeakenTheGuaranteesWithoutShowingTheValue() throws IOException {
        Path acks = properties("acks=1\n");
        Path idempotence = properties("enable.idempotence=false\n");
        Path inFlight = properties("max.in.flight.requests.per.connection=6\n");
        Path unknown = properties("sasl.jaas.confg=" + SECRET + "\n");

        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_PROPERTIES_FILE", acks.toString()))
                .hasMessageStartingWith("OUTBOX_KAFKA_PROPERTIES_FILE must not set acks:");
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_PROPERTIES_FILE", idempotence.toString()))
                .hasMessageStartingWith("OUTBOX_KAFKA_PROPERTIES_FILE must not set enable.idempotence:")
                .hasMessageNotContaining("false");
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_PROPERTIES_FILE", inFlight.toString()))
                .hasMessageContaining("max.in.flight.requests.per.connection must be between 1 and 5");
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_PROPERTIES_FILE", unknown.toString()))
                .hasMessageContaining("unknown property sasl.jaas.confg").hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> settings("OUTBOX_KAFKA_PROPERTIES_FILE", dir.resolve("nope").toString()))
                .hasMessageStartingWith("OUTBOX_KAFKA_PROPERTIES_FILE must name a readable properties file");
    }

    @Test
    void builderChecksEachValueAtOnceNamingTheProperty() {
        assertThatThrownBy(() -> KafkaTransport.builder().maxRequestSize(12)).isInstanceOf(OutboxException.class)
                .hasMessage("kafka.maxRequestSize must be between 1024 and 2147483647 (was 12)");
        assertThatThrownBy(() -> KafkaTransport.builder().bootstrapServers("localhost"))
                .hasMessage("kafka.bootstrapServers must be comma-separated host:port pairs with ports 1-65535"
                        + " (was \"localhost\")");
        assertThatThrownBy(() -> KafkaTransport.builder().ackTimeout(Duration.ofMinutes(11)))
                .hasMessage("kafka.ackTimeout must be between 1s and 10m (was 11m)");
        assertThatThrownBy(() -> KafkaTransport.builder().compression("brotli"))
                .hasMessage("kafka.compression must be one of none, gzip, snappy, lz4, zstd (was \"brotli\")");
        assertThatThrownBy(() -> KafkaTransport.builder().routes("Order"))
                .hasMessageStartingWith("routes must be");
        assertThatThrownBy(() -> KafkaTransport.builder().routes("Order=orders").build())
                .hasMessageStartingWith("kafka.bootstrapServers is required");
    }

    @Test
    void builderNamesThePropertyWhenThePropertiesFileSetsWhatItMustNot() throws IOException {
        Path acks = properties("acks=1\nmax.request.size=1\n");

        assertThatThrownBy(() -> KafkaTransport.builder().bootstrapServers("127.0.0.1:1").propertiesFile(acks).build())
                .isInstanceOf(OutboxException.class).hasMessageStartingWith("kafka.propertiesFile must not set ");
    }

    @Test
    void builderMakesTheSameTransportAsTheFactory() {
        // Port 1: nothing listens there; building does not connect.
        try (Transport transport = KafkaTransport.builder().bootstrapServers("127.0.0.1:1").clientId("orders")
                .compression("lz4").maxRequestSize(2048).ackTimeout(Duration.ofSeconds(3))
                .maxBlock(Duration.ofMillis(500)).routes("Order=orders").routeDefault("").cloudEventsSource("/shop")
                .build()) {
            assertThat(transport).isInstanceOf(KafkaTransport.class);
        }
    }

    private Path properties(String content) throws IOException {
        Path file = Files.createTempFile(dir, "kafka", ".properties");
        Files.writeString(file, content);
        return file;
    }
}
