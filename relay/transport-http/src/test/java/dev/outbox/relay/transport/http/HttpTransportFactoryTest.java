package dev.outbox.relay.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
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

class HttpTransportFactoryTest {
    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    /**
     * Webhook URLs carry tokens in their query ({@code ?token=…}): the shown settings mask the URL
     * (a secret) and the query of the routes' URLs, the secrets to scrub from logs include those
     * tokens, and no error about a URL, its scheme or the routes' syntax quotes a query or user info.
     */
    @Test
    void noQueryOrUserInfoOfAWebhookUrlShowsInTheSettingsOrInErrors() {
        Map<String, String> env = new HashMap<>();
        env.put("OUTBOX_WEBHOOK_URL", "https://hooks.example.com/in?token=QueryMark1");
        env.put("OUTBOX_ROUTES", "Order=https://a.example/o?sig=QueryMark2");
        env.put("OUTBOX_ROUTE_DEFAULT", "https://c.example/${aggregatetype}?k=QueryMark3");
        ConfigValues values = ConfigReader.require(new HttpTransportFactory().config(), env);
        assertThat(values.shown()).containsEntry("OUTBOX_WEBHOOK_URL", "****")
                .containsEntry("OUTBOX_ROUTES", "Order=https://a.example/o?sig=****");
        assertThat(values.toString()).doesNotContain("QueryMark");
        assertThat(values.secrets()).contains(env.get("OUTBOX_WEBHOOK_URL"), "QueryMark2", "QueryMark3");

        StringBuilder errors = new StringBuilder();
        for (Map<String, String> bad : List.of(
                Map.of("OUTBOX_WEBHOOK_URL", "ftp://h/x?token=QueryMark4"),
                Map.of("OUTBOX_ROUTES", "Order=ftp://h/x?token=QueryMark5"),
                Map.of("OUTBOX_ROUTES", "Order https://h/x?token=QueryMark6"),
                Map.of("OUTBOX_ROUTE_DEFAULT", "https://h/${nope}?token=QueryMark7"),
                Map.of("OUTBOX_WEBHOOK_URL", "https://h/x?token=QueryMark8#fragment"),
                Map.of("OUTBOX_WEBHOOK_URL", "https://Us3rMark:Pa55Mark@h/x"))) {
            Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> settings(bad));
            assertThat(e).as("%s is refused", bad).isInstanceOf(OutboxException.class);
            errors.append(e.getMessage()).append('\n');
        }
        assertThat(errors.toString()).contains("ftp://h/x?****", "OUTBOX_ROUTES must be comma-separated")
                .doesNotContain("QueryMark").doesNotContain("Us3rMark").doesNotContain("Pa55Mark");
    }

    @Test
    void defaultsAndTheDefaultRouteIsTheUrl() {
        WebhookSettings s = settings(Map.of("OUTBOX_WEBHOOK_URL", "https://hooks.example.com/in"));

        assertThat(s.router().destination(message("Order"))).isEqualTo("https://hooks.example.com/in");
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.maxConcurrency()).isEqualTo(32);
        assertThat(s.batch()).isFalse();
        assertThat(s.signer()).isNull();
        assertThat(s.source()).isEqualTo("/outbox");
    }

    @Test
    void routesWinOverTheUrl() {
        WebhookSettings s = settings(Map.of("OUTBOX_WEBHOOK_URL", "https://a.example/in",
                "OUTBOX_ROUTES", "Customer=https://b.example/customers",
                "OUTBOX_ROUTE_DEFAULT", "https://c.example/${aggregatetype}"));

        assertThat(s.router().destination(message("Customer"))).isEqualTo("https://b.example/customers");
        assertThat(s.router().destination(message("Order"))).isEqualTo("https://c.example/Order");
    }

    @Test
    void requiresSomewhereToSend() {
        assertThatThrownBy(() -> settings(Map.of())).isInstanceOf(OutboxException.class)
                .hasMessage("OUTBOX_WEBHOOK_URL is required unless OUTBOX_ROUTES or OUTBOX_ROUTE_DEFAULT gives the URLs (was unset)");
    }

    @Test
    void rejectsUrlsThatAreNotAbsoluteHttpNamingKeyRuleAndValue() {
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_WEBHOOK_URL", "/relative")))
                .hasMessage("OUTBOX_WEBHOOK_URL must be an absolute http:// or https:// URL with a host (was \"****\")");
        assertThatThrownBy(() -> HttpTransport.builder().url("/relative"))
                .hasMessage("webhook.url must be an absolute http:// or https:// URL with a host (was \"/relative\")");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_WEBHOOK_URL", "ftp://h/x")))
                .hasMessageContaining("OUTBOX_WEBHOOK_URL must be an absolute http://");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_ROUTES", "Order=orders")))
                .hasMessage("OUTBOX_ROUTES must be an absolute http:// or https:// URL with a host (was \"orders\")");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_ROUTE_DEFAULT", "${aggregatetype}")))
                .hasMessageStartingWith("OUTBOX_ROUTE_DEFAULT must be an absolute");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_WEBHOOK_URL", "https://user:s3cret@h/x")))
                .hasMessageContaining("user:password@").hasMessageNotContaining("s3cret");
    }

    @Test
    void validatesSecretsWithoutShowingThem() {
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_WEBHOOK_URL", "http://h/", "OUTBOX_WEBHOOK_SECRETS",
                SECRET + ",whsec_#not-base64#"))).hasMessageContaining("OUTBOX_WEBHOOK_SECRETS secret #2 must be whsec_")
                .hasMessageNotContaining("not-base64").hasMessageNotContaining(SECRET);
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_WEBHOOK_URL", "http://h/", "OUTBOX_WEBHOOK_SECRETS", "whsec_c2hvcnQ=")))
                .hasMessage("OUTBOX_WEBHOOK_SECRETS secret #1 must decode to at least 24 bytes (was 5 bytes; value not shown)");
        assertThat(settings(Map.of("OUTBOX_WEBHOOK_URL", "http://h/", "OUTBOX_WEBHOOK_SECRETS", SECRET + " \n " + SECRET))
                .signer().sign("id", 1, new byte[0]).split(" ")).hasSize(2);
    }

    @Test
    void readsSecretsFromAFileOnePerLine(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("secrets"), SECRET + "\n" + SECRET + "\n");

        WebhookSettings s = settings(Map.of("OUTBOX_WEBHOOK_URL", "http://h/", "OUTBOX_WEBHOOK_SECRETS_FILE", file.toString()));

        assertThat(s.signer().sign("id", 1, new byte[0]).split(" ")).hasSize(2);
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_WEBHOOK_URL", "http://h/", "OUTBOX_WEBHOOK_SECRETS", SECRET,
                "OUTBOX_WEBHOOK_SECRETS_FILE", file.toString()))).hasMessageContaining("are both set");
    }

    @Test
    void acceptsTheSecretFilesAndMasksTheSecrets(@TempDir Path dir) throws Exception {
        Path secrets = Files.writeString(dir.resolve("secrets"), SECRET + "\n");
        Path headers = Files.writeString(dir.resolve("headers"), "Authorization: Bearer t0ken\n");
        Path url = Files.writeString(dir.resolve("url"), "https://hooks.example.com/in?token=QueryMark1\n");
        Map<String, String> env = new HashMap<>();
        env.put("OUTBOX_WEBHOOK_URL_FILE", url.toString());
        env.put("OUTBOX_WEBHOOK_SECRETS_FILE", secrets.toString());
        env.put("OUTBOX_WEBHOOK_HEADERS_FILE", headers.toString());

        ConfigValues values = ConfigReader.require(new HttpTransportFactory().config(), env);

        assertThat(values.toString()).doesNotContain(SECRET.substring(6)).doesNotContain("t0ken")
                .doesNotContain("QueryMark");
        assertThat(values.shown()).containsEntry("OUTBOX_WEBHOOK_SECRETS", "****")
                .containsEntry("OUTBOX_WEBHOOK_HEADERS", "****").containsEntry("OUTBOX_WEBHOOK_URL", "****");
        assertThat(values.secrets()).contains(SECRET, "Authorization: Bearer t0ken");
        WebhookSettings s = WebhookSettings.from(values);
        assertThat(s.signer()).isNotNull();
        assertThat(s.headers()).containsEntry("Authorization", "Bearer t0ken");
        assertThat(s.router().destination(message("Order"))).isEqualTo("https://hooks.example.com/in?token=QueryMark1");
        assertThat(s.toString()).doesNotContain("t0ken").doesNotContain(SECRET.substring(6));
    }

    @Test
    void parsesStaticHeadersAndRefusesOnesTheTransportOwnsWithoutShowingValues() {
        Map<String, String> base = Map.of("OUTBOX_WEBHOOK_URL", "http://h/");
        assertThat(settings(with(base, "OUTBOX_WEBHOOK_HEADERS", "Authorization: Bearer abc; X-Env: prod;")).headers())
                .containsExactly(Map.entry("Authorization", "Bearer abc"), Map.entry("X-Env", "prod"));
        assertThatThrownBy(() -> settings(with(base, "OUTBOX_WEBHOOK_HEADERS", "Authorization Bearer abc")))
                .hasMessageContaining("OUTBOX_WEBHOOK_HEADERS must be \"Name: value\"").hasMessageNotContaining("abc");
        for (String name : List.of("Host", "Content-Length", "Connection", "Content-Type", "webhook-id", "ce-id", "traceparent")) {
            assertThatThrownBy(() -> settings(with(base, "OUTBOX_WEBHOOK_HEADERS", name + ": secret-value")))
                    .as(name).hasMessageContaining("OUTBOX_WEBHOOK_HEADERS sets header \"" + name + "\", which cannot be configured")
                    .hasMessageNotContaining("secret-value");
        }
        assertThatThrownBy(() -> settings(with(base, "OUTBOX_WEBHOOK_HEADERS", "A: 1; a: 2")))
                .hasMessageContaining("OUTBOX_WEBHOOK_HEADERS sets header \"a\" twice");
        assertThatThrownBy(() -> HttpTransport.builder().headers("Authorization: Bearer abc\u0001"))
                .hasMessageStartingWith("webhook.headers sets header \"Authorization\" to a value that is not")
                .hasMessageNotContaining("abc");
    }

    @Test
    void validatesTimeoutsConcurrencyAndBatchFlag() {
        Map<String, String> base = Map.of("OUTBOX_WEBHOOK_URL", "http://h/");
        assertThatThrownBy(() -> settings(with(base, "OUTBOX_WEBHOOK_TIMEOUT", "0s")))
                .hasMessage("OUTBOX_WEBHOOK_TIMEOUT must be between 1ms and 1h (was 0ms)");
        assertThatThrownBy(() -> settings(with(base, "OUTBOX_WEBHOOK_CONNECT_TIMEOUT", "soon")))
                .hasMessageStartingWith("OUTBOX_WEBHOOK_CONNECT_TIMEOUT must be a duration");
        assertThatThrownBy(() -> settings(with(base, "OUTBOX_WEBHOOK_MAX_CONCURRENCY", "0")))
                .hasMessage("OUTBOX_WEBHOOK_MAX_CONCURRENCY must be between 1 and 1024 (was 0)");
        assertThatThrownBy(() -> settings(with(base, "OUTBOX_WEBHOOK_BATCH", "yes")))
                .hasMessage("OUTBOX_WEBHOOK_BATCH must be true or false (was \"yes\")");
        assertThat(settings(with(base, "OUTBOX_WEBHOOK_TIMEOUT", "250ms")).timeout()).isEqualTo(Duration.ofMillis(250));
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> map = new HashMap<>(base);
        map.put(key, value);
        return map;
    }

    @Test
    void theBuilderNamesThePropertyTheRuleAndTheValue() {
        assertThatThrownBy(() -> HttpTransport.builder().timeout(Duration.ZERO)).isInstanceOf(OutboxException.class)
                .hasMessage("webhook.timeout must be between 1ms and 1h (was 0ms)");
        assertThatThrownBy(() -> HttpTransport.builder().maxConcurrency(2000))
                .hasMessage("webhook.maxConcurrency must be between 1 and 1024 (was 2000)");
        assertThatThrownBy(() -> HttpTransport.builder().secrets("whsec_c2hvcnQ="))
                .hasMessage("webhook.secrets secret #1 must decode to at least 24 bytes (was 5 bytes; value not shown)");
        assertThatThrownBy(() -> HttpTransport.builder().batch(true).build())
                .hasMessage("webhook.url is required unless routes or routeDefault gives the URLs (was unset)");
        assertThatThrownBy(() -> HttpTransport.builder().routes("Order=orders").build())
                .hasMessage("routes must be an absolute http:// or https:// URL with a host (was \"orders\")");
    }

    @Test
    void theBuilderCreatesTheTransportAsTheFactoryDoes() {
        // Port 1 on loopback: connection refused at once, an outage of the whole batch.
        try (Transport transport = HttpTransport.builder().routes("Order=http://127.0.0.1:1/orders").routeDefault("")
                .secrets(SECRET).timeout(Duration.ofSeconds(2)).connectTimeout(Duration.ofSeconds(2)).maxConcurrency(4)
                .batch(false).headers("X-Env: test").cloudEventsSource("/shop").build()) {
            assertThatThrownBy(() -> transport.send(List.of(message("Order"))))
                    .isInstanceOfSatisfying(dev.outbox.relay.spi.TransportException.class,
                            e -> assertThat(e.outage()).isTrue())
                    .hasMessageContaining("cannot connect to http://127.0.0.1:1/orders");
        }
        try (Transport transport = HttpTransport.builder().routes("Order=http://127.0.0.1:1/orders").build()) {
            assertThat(transport.send(List.of(message("Customer")))).singleElement()
                    .satisfies(r -> assertThat(r.failure()).hasMessageContaining("no route"))
                    .satisfies(r -> assertThat(r.isAcknowledged()).isFalse())
                    .extracting(SendResult::failure).satisfies(f -> assertThat(f.retryable()).isFalse());
        }
    }

    private static WebhookSettings settings(Map<String, String> values) {
        return WebhookSettings.from(ConfigReader.require(new HttpTransportFactory().config(), values));
    }

    private static OutboxMessage message(String aggregateType) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, "k", "Happened", "{}", Map.of(), Instant.EPOCH, 1);
    }
}
