package dev.outbox.sample;

import dev.outbox.sample.broker.Retries;
import java.util.Map;
import java.util.Set;

/**
 * Configuration of {@link SampleApp}, from environment variables ({@link #fromEnvironment}) or
 * built by tests. {@link #fromEnvironment} fails with the variable, the rule and the value.
 *
 * @param jdbcUrl the database with the outbox schema ({@code SAMPLE_JDBC_URL}, required)
 * @param httpHost address of the HTTP API ({@code SAMPLE_HTTP_HOST}, default 127.0.0.1)
 * @param httpPort its port ({@code SAMPLE_HTTP_PORT}, default 8080; 0 picks a free one)
 * @param broker {@code rabbitmq} or {@code kafka} ({@code SAMPLE_BROKER}, default rabbitmq)
 * @param rabbitMqUri {@code SAMPLE_RABBITMQ_URI}, default amqp://guest:guest@127.0.0.1:5672
 * @param exchange the exchange the relay publishes to ({@code SAMPLE_RABBITMQ_EXCHANGE}, default outbox)
 * @param kafkaBootstrap {@code SAMPLE_KAFKA_BOOTSTRAP}, default 127.0.0.1:9092
 * @param kafkaTopic the topic the relay writes to ({@code SAMPLE_KAFKA_TOPIC}, default Order)
 * @param namePrefix prefix of queues and consumer groups ({@code SAMPLE_NAME_PREFIX}, default sample)
 * @param fresh purge the consumers' queues at start ({@code SAMPLE_FRESH}, the demo sets it)
 * @param retries attempts per event before dead-lettering (5, from 100 ms doubling)
 */
public record SampleConfig(String jdbcUrl, String httpHost, int httpPort, String broker, String rabbitMqUri,
                           String exchange, String kafkaBootstrap, String kafkaTopic, String namePrefix, boolean fresh,
                           Retries retries) {
    private static final Set<String> BROKERS = Set.of("rabbitmq", "kafka");

    public SampleConfig {
        if (!BROKERS.contains(broker)) {
            throw new IllegalArgumentException("SAMPLE_BROKER must be rabbitmq or kafka (was \"" + broker + "\")");
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("SAMPLE_HTTP_PORT must be 0 to 65535 (was " + httpPort + ")");
        }
    }

    public static SampleConfig fromEnvironment() {
        return from(System.getenv());
    }

    static SampleConfig from(Map<String, String> env) {
        String jdbcUrl = env.get("SAMPLE_JDBC_URL");
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("SAMPLE_JDBC_URL must be set to jdbc:postgresql://host:port/db?user=… (was "
                    + (jdbcUrl == null ? "not set" : "\"" + jdbcUrl.replaceAll("\\?.*", "?…") + "\"") + ")");
        }
        String port = env.getOrDefault("SAMPLE_HTTP_PORT", "8080");
        int httpPort;
        try {
            httpPort = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SAMPLE_HTTP_PORT must be a number (was \"" + port + "\")", e);
        }
        return new SampleConfig(jdbcUrl, env.getOrDefault("SAMPLE_HTTP_HOST", "127.0.0.1"), httpPort,
                env.getOrDefault("SAMPLE_BROKER", "rabbitmq"),
                env.getOrDefault("SAMPLE_RABBITMQ_URI", "amqp://guest:guest@127.0.0.1:5672"),
                env.getOrDefault("SAMPLE_RABBITMQ_EXCHANGE", "outbox"),
                env.getOrDefault("SAMPLE_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
                env.getOrDefault("SAMPLE_KAFKA_TOPIC", "Order"),
                env.getOrDefault("SAMPLE_NAME_PREFIX", "sample"),
                Boolean.parseBoolean(env.getOrDefault("SAMPLE_FRESH", "false")),
                Retries.defaults());
    }
}
