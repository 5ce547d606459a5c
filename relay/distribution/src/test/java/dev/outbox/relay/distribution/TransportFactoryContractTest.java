package dev.outbox.relay.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every built-in transport factory promises, checked once for all of them (each transport's
 * own factory test keeps only what is particular to it): it is found by its name, declares every
 * key completely, reports each missing required key by name, never shows a secret value, and
 * creates its transport without a reachable broker (the relay starts while the broker is down).
 */
class TransportFactoryContractTest {
    private static final String MARKER = "mark3r-S3cret-9f2e";
    /** The least each transport needs, with a secret marker wherever a secret can hold one; nothing listens on port 1. */
    private static final Map<String, Map<String, String>> MINIMAL = Map.of(
            "kafka", Map.of("OUTBOX_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"),
            "rabbitmq", Map.of("OUTBOX_RABBITMQ_URI", "amqp://app:" + MARKER + "@127.0.0.1:1/"),
            "nats", Map.of("OUTBOX_NATS_URL", "nats://app:" + MARKER + "@127.0.0.1:1"),
            "redis", Map.of("OUTBOX_REDIS_URL", "redis://app:" + MARKER + "@127.0.0.1:1/0"),
            "http", Map.of("OUTBOX_WEBHOOK_URL", "http://127.0.0.1:1/hook?token=" + MARKER,
                    "OUTBOX_WEBHOOK_SECRETS", "whsec_" + Base64.getEncoder().encodeToString(
                            (MARKER + "-signing-key").getBytes(StandardCharsets.UTF_8)),
                    "OUTBOX_WEBHOOK_HEADERS", "Authorization: Bearer " + MARKER),
            "eventbridge", Map.of("OUTBOX_EVENTBRIDGE_ENDPOINT", "http://127.0.0.1:1", "OUTBOX_EVENTBRIDGE_REGION",
                    "us-east-1"),
            "pubsub", Map.of("OUTBOX_PUBSUB_PROJECT", "outbox-test", "OUTBOX_PUBSUB_ENDPOINT", "127.0.0.1:1"),
            "sqs", Map.of("OUTBOX_SQS_ENDPOINT", "http://127.0.0.1:1", "OUTBOX_SQS_REGION", "us-east-1"));

    /** The keys whose values are credentials (or carry them, as a URL's user info does). */
    private static final Map<String, Set<String>> SECRET_KEYS = Map.of(
            "kafka", Set.of(), // the properties file's values are secrets, its path is not
            "rabbitmq", Set.of("OUTBOX_RABBITMQ_URI"),
            "nats", Set.of("OUTBOX_NATS_URL", "OUTBOX_NATS_TOKEN"),
            "redis", Set.of("OUTBOX_REDIS_URL"),
            "http", Set.of("OUTBOX_WEBHOOK_URL", "OUTBOX_WEBHOOK_SECRETS", "OUTBOX_WEBHOOK_HEADERS"),
            "eventbridge", Set.of(), // credentials come from the AWS SDK's chain, never from a key
            "pubsub", Set.of(), // credentials: Application Default Credentials, never a key
            "sqs", Set.of()); // credentials come from the AWS SDK's chain, never from a key

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "rabbitmq", "nats", "redis", "http", "eventbridge", "pubsub", "sqs"})
    void isFoundByItsNameAndDeclaresEveryKeyCompletely(String name) {
        ConfigModel model = factory(name).config();
        assertThat(model.name()).isEqualTo(name);
        Set<String> properties = new HashSet<>();
        for (Setting<?> s : model.settings()) {
            assertThat(s.env()).as("%s's key", name).matches("OUTBOX_[A-Z0-9_]+");
            assertThat(properties.add(s.property())).as("%s declares property %s once", name, s.property()).isTrue();
            assertThat(s.description()).as("%s has a description", s.env()).isNotBlank();
            assertThat(s.required() && s.defaultValue().isPresent()).as("%s is required and has a default", s.env())
                    .isFalse();
        }
        assertThat(model.settings().stream().filter(Setting::secret).map(Setting::env).toList())
                .as("%s's secret keys", name).containsExactlyInAnyOrderElementsOf(SECRET_KEYS.get(name));
        assertThat(model.keys()).as("the sidecar's HTTP keys belong to the sidecar")
                .doesNotContain("OUTBOX_HTTP_ENABLED", "OUTBOX_HTTP_HOST", "OUTBOX_HTTP_PORT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "rabbitmq", "nats", "redis", "http", "eventbridge", "pubsub", "sqs"})
    void reportsEveryMissingRequiredKeyByName(String name) {
        ConfigModel model = factory(name).config();
        List<String> problems = new ArrayList<>();
        boolean anyRequired = model.settings().stream().anyMatch(Setting::required);
        boolean read = ConfigReader.read(model, Map.of(), problems).isPresent();
        assertThat(anyRequired && read).as("%s read without its required keys", name).isFalse();
        for (Setting<?> s : model.settings()) {
            if (s.required()) {
                assertThat(problems).anyMatch(p -> p.startsWith(s.env() + " is required"));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "rabbitmq", "nats", "redis", "http", "eventbridge", "pubsub", "sqs"})
    void neverShowsASecretAndCreatesItsTransportWithoutABroker(String name) throws Exception {
        TransportFactory factory = factory(name);
        ConfigValues values = ConfigReader.require(factory.config(), MINIMAL.get(name));

        assertThat(values.shown().toString()).doesNotContain(MARKER);
        assertThat(values.toString()).doesNotContain(MARKER);
        if (MINIMAL.get(name).values().stream().anyMatch(v -> v.contains(MARKER))) {
            assertThat(values.secrets()).as("what the sidecar scrubs from every log line")
                    .anyMatch(s -> s.contains(MARKER));
        }
        try (Transport transport = factory.create(values)) {
            assertThat(transport).isNotNull();
            assertThat(transport.toString()).doesNotContain(MARKER);
        }
    }

    private static TransportFactory factory(String name) {
        return ServiceLoader.load(TransportFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(f -> f.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no transport named " + name + " on the class path"));
    }
}
