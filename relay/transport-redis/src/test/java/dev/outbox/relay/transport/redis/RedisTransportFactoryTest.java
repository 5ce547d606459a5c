package dev.outbox.relay.transport.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.transport.CloudEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisTransportFactoryTest {

    private static RedisSettings settings(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return RedisSettings.from(ConfigReader.require(RedisSettings.MODEL, values));
    }

    @Test
    void appliesDefaultsToAPlainUrl() {
        RedisSettings s = settings("OUTBOX_REDIS_URL", "redis://127.0.0.1");

        assertThat(s.host()).isEqualTo("127.0.0.1");
        assertThat(s.port()).isEqualTo(6379);
        assertThat(s.database()).isZero();
        assertThat(s.tls()).isFalse();
        assertThat(s.user()).isNull();
        assertThat(s.password()).isNull();
        assertThat(s.keyPrefix()).isEmpty();
        assertThat(s.maxLen()).isZero();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.source()).isEqualTo(CloudEvent.DEFAULT_SOURCE);
        assertThat(s.router().destination(message("Order"))).isEqualTo("Order");
    }

    @Test
    void readsCredentialsDatabaseTlsAndOptions() {
        RedisSettings s = settings("OUTBOX_REDIS_URL", "rediss://relay:s%40cret+1@redis.example:6380/3",
                "OUTBOX_REDIS_KEY_PREFIX", "outbox:", "OUTBOX_REDIS_MAXLEN", "10000", "OUTBOX_REDIS_TIMEOUT", "250ms",
                "OUTBOX_ROUTES", "Order=orders", "OUTBOX_CLOUDEVENTS_SOURCE", "/shop");

        assertThat(s.host()).isEqualTo("redis.example");
        assertThat(s.port()).isEqualTo(6380);
        assertThat(s.database()).isEqualTo(3);
        assertThat(s.tls()).isTrue();
        assertThat(s.user()).isEqualTo("relay");
        assertThat(s.password()).isEqualTo("s@cret+1");
        assertThat(s.keyPrefix()).isEqualTo("outbox:");
        assertThat(s.maxLen()).isEqualTo(10_000);
        assertThat(s.timeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.source()).isEqualTo("/shop");
        assertThat(s.router().destination(message("Order"))).isEqualTo("orders");
        assertThat(s.toString()).doesNotContain("s@cret").contains("password=****");
    }

    @Test
    void acceptsAPasswordWithoutUserAndAnIpv6Host() {
        RedisSettings s = settings("OUTBOX_REDIS_URL", "redis://:pw@[::1]:6379/0");

        assertThat(s.user()).isNull();
        assertThat(s.password()).isEqualTo("pw");
        assertThat(s.host()).isEqualTo("::1");
        assertThat(s.address()).isEqualTo("redis://[::1]:6379/0");
    }

    @Test
    void anEmptyDefaultRouteSendsOnlyRoutedEvents() {
        RedisSettings s = settings("OUTBOX_REDIS_URL", "redis://h", "OUTBOX_ROUTES", "Order=orders",
                "OUTBOX_ROUTE_DEFAULT", "");

        assertThatThrownBy(() -> s.router().destination(message("Customer"))).isInstanceOf(OutboxException.class)
                .hasMessageContaining("no route");
    }

    @Test
    void rejectsBadUrlsNamingTheRuleWithoutShowingThePassword() {
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "http://u:topsecret@h"))
                .hasMessageContaining("OUTBOX_REDIS_URL must start with redis:// or rediss://")
                .hasMessageContaining("http://****@h").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://u:topsecret@h/abc"))
                .hasMessageContaining("must have a database number").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://u:top secret@h"))
                .hasMessageContaining("must be a URL").hasMessageNotContaining("top secret");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://h?timeout=1"))
                .hasMessageContaining("must not have query parameters");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://onlyuser@h"))
                .hasMessageContaining("user:password@");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis:///0")).hasMessageContaining("must name a host");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://h:0")).hasMessageContaining("port");
    }

    @Test
    void rejectsBadOptionsNamingKeyRuleAndValue() {
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://h", "OUTBOX_REDIS_MAXLEN", "0"))
                .hasMessage("OUTBOX_REDIS_MAXLEN must be between 1 and 2147483647 (was 0)");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://h", "OUTBOX_REDIS_MAXLEN", "lots"))
                .hasMessage("OUTBOX_REDIS_MAXLEN must be a whole number (was \"lots\")");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://h", "OUTBOX_REDIS_TIMEOUT", "0s"))
                .hasMessage("OUTBOX_REDIS_TIMEOUT must be between 1ms and 10m (was 0ms)");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://h", "OUTBOX_REDIS_TIMEOUT", "soon"))
                .hasMessageStartingWith("OUTBOX_REDIS_TIMEOUT must be a duration");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://h", "OUTBOX_ROUTES", "Order"))
                .hasMessageStartingWith("OUTBOX_ROUTES must be");
        assertThatThrownBy(() -> settings("OUTBOX_REDIS_URL", "redis://h", "OUTBOX_CLOUDEVENTS_SOURCE", " "))
                .hasMessageStartingWith("OUTBOX_CLOUDEVENTS_SOURCE must be a non-empty URI-reference");
    }

    @Test
    void createsWithoutConnectingAndFailsTheBatchRetryablyWhenNothingListens() {
        // Port 1 on loopback: connection refused at once.
        Transport transport = transport(Map.of(
                "OUTBOX_REDIS_URL", "redis://u:topsecret@127.0.0.1:1", "OUTBOX_REDIS_TIMEOUT", "2s"));
        try (transport) {
            assertThatThrownBy(() -> transport.send(List.of(message("Order"))))
                    .isInstanceOfSatisfying(dev.outbox.relay.spi.TransportException.class,
                            e -> assertThat(e.retryable()).isTrue())
                    .hasMessageContaining("redis://127.0.0.1:1/0").hasMessageNotContaining("topsecret");
        }
    }

    @Test
    void anUnroutableEventFailsPermanentlyWithoutTouchingTheServer() {
        Transport transport = transport(Map.of(
                "OUTBOX_REDIS_URL", "redis://127.0.0.1:1", "OUTBOX_ROUTES", "Order=orders", "OUTBOX_ROUTE_DEFAULT", ""));
        try (transport) {
            OutboxMessage m = message("Customer");

            List<SendResult> results = transport.send(List.of(m));

            assertThat(results).hasSize(1);
            assertThat(results.get(0).eventId()).isEqualTo(m.id());
            assertThat(results.get(0).failure().retryable()).isFalse();
            assertThat(results.get(0).failure()).hasMessageContaining("no route");
        }
    }

    @Test
    void readsTheUrlFromAFileAndNeverShowsIt(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("redis-url"), "redis://relay:Pa55Mark@redis.example:6380/2\n");

        ConfigValues values = ConfigReader.require(RedisSettings.MODEL, Map.of("OUTBOX_REDIS_URL_FILE", file.toString()));
        RedisSettings s = RedisSettings.from(values);

        assertThat(s.password()).isEqualTo("Pa55Mark");
        assertThat(s.address()).isEqualTo("redis://redis.example:6380/2");
        assertThat(values.shown()).containsEntry("OUTBOX_REDIS_URL", "****");
        assertThat(values + " " + s).doesNotContain("Pa55Mark");
    }

    @Test
    void theBuilderNamesThePropertyTheRuleAndTheValue() {
        assertThatThrownBy(() -> RedisTransport.builder().timeout(Duration.ZERO)).isInstanceOf(OutboxException.class)
                .hasMessage("redis.timeout must be between 1ms and 10m (was 0ms)");
        assertThatThrownBy(() -> RedisTransport.builder().maxLen(0))
                .hasMessage("redis.maxLen must be between 1 and 2147483647 (was 0)");
        assertThatThrownBy(() -> RedisTransport.builder().url("http://u:topsecret@h"))
                .hasMessageStartingWith("redis.url must start with redis:// or rediss://")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> RedisTransport.builder().routes("Order").build())
                .hasMessageStartingWith("routes must be");
        assertThatThrownBy(() -> RedisTransport.builder().keyPrefix("outbox:").build())
                .hasMessageStartingWith("redis.url is required");
    }

    @Test
    void theBuilderCreatesTheTransportAsTheFactoryDoes() {
        try (Transport transport = RedisTransport.builder().url("redis://u:topsecret@127.0.0.1:1")
                .timeout(Duration.ofSeconds(2)).routes("Order=orders").routeDefault("").build()) {
            assertThat(transport.send(List.of(message("Customer")))).singleElement()
                    .satisfies(r -> assertThat(r.failure()).hasMessageContaining("no route"));
            assertThatThrownBy(() -> transport.send(List.of(message("Order"))))
                    .isInstanceOfSatisfying(dev.outbox.relay.spi.TransportException.class,
                            e -> assertThat(e.outage()).isTrue())
                    .hasMessageContaining("redis://127.0.0.1:1/0").hasMessageNotContaining("topsecret");
        }
    }

    @Test
    void classifiesPassingServerStatesAsRetryableAndCommandErrorsAsPermanent() {
        assertThat(RedisTransport.isServerStateError("OOM command not allowed when used memory > 'maxmemory'."))
                .isTrue();
        assertThat(RedisTransport.isServerStateError("LOADING Redis is loading the dataset in memory")).isTrue();
        assertThat(RedisTransport.isServerStateError("BUSY Redis is busy running a script.")).isTrue();
        assertThat(RedisTransport.isServerStateError("READONLY You can't write against a read only replica."))
                .isTrue();
        assertThat(RedisTransport.isServerStateError("MISCONF Redis is configured to save RDB snapshots")).isTrue();
        assertThat(RedisTransport.isServerStateError("WRONGTYPE Operation against a key holding the wrong kind of value"))
                .isFalse();
        assertThat(RedisTransport.isServerStateError("NOPERM this user has no permissions")).isFalse();
        assertThat(RedisTransport.isServerStateError("ERR syntax error")).isFalse();
        assertThat(RedisTransport.isServerStateError(null)).isFalse();
    }

    private static Transport transport(Map<String, String> values) {
        RedisTransportFactory factory = new RedisTransportFactory();
        return factory.create(ConfigReader.require(factory.config(), values));
    }

    private static OutboxMessage message(String aggregateType) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, "a-1", "Happened", "{}", Map.of(),
                Instant.parse("2026-11-26T12:00:00Z"), 1);
    }
}
