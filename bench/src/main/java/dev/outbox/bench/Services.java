package dev.outbox.bench;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Map;

/**
 * Where the services are: the same variables as {@code scripts/test} ({@code OUTBOX_TEST_*}), with
 * the machine's defaults. {@link #require} checks that one answers before a scenario uses it.
 */
public record Services(String jdbcUrl, String kafkaBootstrap, String awsEndpoint, String pubsubEmulator,
                       String rabbitmqUri, String natsUrl, String redisUrl) {

    public static Services fromEnvironment(Map<String, String> env) {
        return new Services(
                env.getOrDefault("OUTBOX_TEST_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres"),
                env.getOrDefault("OUTBOX_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
                env.getOrDefault("OUTBOX_TEST_AWS_ENDPOINT", "http://127.0.0.1:5000"),
                env.getOrDefault("OUTBOX_TEST_PUBSUB_EMULATOR_HOST", "127.0.0.1:8085"),
                env.getOrDefault("OUTBOX_TEST_RABBITMQ_URI", "amqp://guest:guest@127.0.0.1:5672"),
                env.getOrDefault("OUTBOX_TEST_NATS_URL", "nats://127.0.0.1:4222"),
                env.getOrDefault("OUTBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379"));
    }

    /**
     * @param what the service, for the message
     * @param hostPort {@code host:port}, or a URL with host and port
     * @param howToStart what to run when it does not answer
     * @throws IllegalStateException if nothing accepts a TCP connection there within 2 s
     */
    public static void require(String what, String hostPort, String howToStart) {
        String host;
        int port;
        if (hostPort.contains("://")) {
            URI uri = URI.create(hostPort.split(",")[0]);
            host = uri.getHost();
            port = uri.getPort();
        } else {
            String first = hostPort.split(",")[0];
            host = first.substring(0, first.lastIndexOf(':'));
            port = Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
        } catch (Exception e) {
            throw new IllegalStateException(what + " does not answer on " + host + ":" + port + " (" + e.getMessage()
                    + "): " + howToStart);
        }
    }
}
