package dev.outbox.relay.distribution;

import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.sun.net.httpserver.HttpServer;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.testing.TestDatabase;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.RedisClient;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The distribution as operators run it: {@code java -jar relay.jar run}, configured only by
 * environment variables, with each transport loaded from its own {@code transports/<name>/}
 * folder, and only that one: the other transports' client classes are never loaded. Delivery is
 * proven by the database (an event is marked published only after the broker acknowledged it);
 * each transport's contract suite checks what the broker received.
 */
public class DistributionIT {
    public static final Path RELAY_JAR = Path.of("target", "outbox-relay", "relay.jar");
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Package prefixes of every transport's client, to prove that only the selected one is loaded. */
    private static final Map<String, String> CLIENTS = Map.of("kafka", "org.apache.kafka.", "rabbitmq",
            "com.rabbitmq.", "nats", "io.nats.", "redis", "redis.clients.", "eventbridge",
            "software.amazon.awssdk.services.eventbridge.", "pubsub", "com.google.cloud.pubsub.", "sqs",
            "software.amazon.awssdk.services.sqs.");

    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;
    private String destination;

    @BeforeEach
    void setUp() {
        db = fixture.db();
        destination = "dist" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    @ParameterizedTest
    @ValueSource(strings = {"log", "kafka", "rabbitmq", "nats", "redis", "http", "eventbridge", "pubsub", "sqs"})
    void eachTransportRunsFromItsOwnFolderConfiguredOnlyByEnvironmentVariables(String transport, @TempDir Path dir)
            throws Exception {
        assertThat(RELAY_JAR).as("the distribution is built by the package phase").exists();
        assertThat(RELAY_JAR.resolveSibling("transports").resolve(transport).toFile().isDirectory())
                .as("transports/%s exists", transport).isEqualTo(!transport.equals("log"));
        Map<String, String> env = new HashMap<>(destination(transport));
        env.put("OUTBOX_TRANSPORT", transport);
        if (!transport.equals("log")) {
            env.putIfAbsent("OUTBOX_ROUTE_DEFAULT", destination);
        }
        for (int i = 0; i < 30; i++) {
            db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload) VALUES ('" + destination
                    + "', 'k" + (i % 3) + "', 'Placed', '{\"n\": " + i + "}')");
        }
        Path classes = dir.resolve("classes.log");
        Path log = dir.resolve("sidecar.log");
        Process sidecar = start(env, classes, log);
        try {
            // Ends early if the sidecar exits (a configuration error): its log says why.
            await("all events published or the sidecar gone", WAIT, () -> !sidecar.isAlive()
                    || db.queryLong("SELECT count(*) FROM outbox.event WHERE published_at IS NULL") == 0);
            assertThat(sidecar.isAlive()).as("the sidecar runs").isTrue();
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + Files.readString(log), e);
        } finally {
            sidecar.destroy(); // SIGTERM: a clean stop
            assertThat(sidecar.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(sidecar.exitValue()).as(Files.readString(log)).isZero();
        assertThat(Files.readString(log)).contains("transport=" + transport,
                "transport_from=" + (transport.equals("log") ? "class path" : "transports/" + transport));
        String loaded = Files.readString(classes);
        CLIENTS.forEach((name, prefix) -> assertThat(loaded.contains(" " + prefix))
                .as("classes of %s's client loaded while running %s", name, transport)
                .isEqualTo(name.equals(transport)));
    }

    @org.junit.jupiter.api.Test
    void aKeyOfAnotherTransportFolderIsAConflictNamedAsSuch(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("sidecar.log");
        Process sidecar = start(Map.of("OUTBOX_TRANSPORT", "rabbitmq", "OUTBOX_RABBITMQ_URI", "amqp://127.0.0.1:1",
                "OUTBOX_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"), dir.resolve("classes.log"), log);
        assertThat(sidecar.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(sidecar.exitValue()).as(Files.readString(log)).isEqualTo(3);
        assertThat(Files.readString(log)).contains("configuration error: OUTBOX_KAFKA_BOOTSTRAP_SERVERS belongs to"
                + " transport kafka, which conflicts with OUTBOX_TRANSPORT=rabbitmq");
    }

    /**
     * The sidecar has SLF4J (bound to its bridge to System.Logger) on its class path, yet the
     * engine's records must not go through it: the JSON format would lose their fields.
     */
    @org.junit.jupiter.api.Test
    void theEnginesRecordsKeepTheirFieldsInTheJsonLog(@TempDir Path dir) throws Exception {
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload) VALUES ('Order', 'k', 'Placed', '{}')");
        Path log = dir.resolve("sidecar.log");
        Process sidecar = start(Map.of("OUTBOX_TRANSPORT", "log", "OUTBOX_LOG_FORMAT", "json",
                "OUTBOX_INSTANCE_NAME", "json-fields"), dir.resolve("classes.log"), log);
        try {
            await("the event published or the sidecar gone", WAIT, () -> !sidecar.isAlive()
                    || db.queryLong("SELECT count(*) FROM outbox.event WHERE published_at IS NULL") == 0);
        } finally {
            sidecar.destroy();
            assertThat(sidecar.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(Files.readString(log)).as(Files.readString(log))
                .contains("\"logger\":\"dev.outbox.relay\",\"message\":\"relay connected\",\"instance\":\"json-fields\"}");
    }

    private Process start(Map<String, String> env, Path classes, Path log) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-Xlog:class+load=info:file=" + classes,
                "-jar", RELAY_JAR.toString(), "run")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("OUTBOX_"));
        builder.environment().putAll(env);
        builder.environment().put("OUTBOX_JDBC_URL", db.jdbcUrl() + "&options=-c%20role%3Doutbox_relay");
        builder.environment().put("OUTBOX_HTTP_PORT", "0");
        builder.environment().put("OUTBOX_MAX_POLL_INTERVAL", "50ms");
        return builder.start();
    }

    /** Creates the destination where the broker needs one, and returns the transport's keys. */
    @SuppressWarnings("try") // jnats' Connection.close() declares InterruptedException
    private Map<String, String> destination(String transport) throws Exception {
        return switch (transport) {
            case "log" -> Map.of();
            case "kafka" -> {
                String bootstrap = required("OUTBOX_TEST_KAFKA_BOOTSTRAP", "bash .ci/kafka.sh start");
                Properties p = new Properties();
                p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                try (Admin admin = Admin.create(p)) {
                    admin.createTopics(List.of(new NewTopic(destination, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
                }
                cleanups.add(() -> {
                    try (Admin admin = Admin.create(p)) {
                        admin.deleteTopics(List.of(destination)).all().get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot delete topic " + destination, e);
                    }
                });
                yield Map.of("OUTBOX_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
            }
            case "rabbitmq" -> {
                String uri = required("OUTBOX_TEST_RABBITMQ_URI", ".ci/services.sh");
                ConnectionFactory factory = new ConnectionFactory();
                factory.setUri(uri);
                try (Connection c = factory.newConnection(); Channel ch = c.createChannel()) {
                    ch.exchangeDeclare(destination, BuiltinExchangeType.TOPIC, false, true, null);
                    ch.queueDeclare(destination, false, false, true, null);
                    ch.queueBind(destination, destination, "#");
                }
                // Auto-delete removes a queue only after a consumer left it; this one never had one.
                cleanups.add(() -> {
                    try (Connection c = factory.newConnection(); Channel ch = c.createChannel()) {
                        ch.queueDelete(destination);
                        ch.exchangeDelete(destination);
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot delete queue and exchange " + destination, e);
                    }
                });
                yield Map.of("OUTBOX_RABBITMQ_URI", uri);
            }
            case "nats" -> {
                String url = required("OUTBOX_TEST_NATS_URL", ".ci/services.sh");
                try (io.nats.client.Connection c = Nats.connect(url)) {
                    c.jetStreamManagement().addStream(StreamConfiguration.builder().name(destination)
                            .subjects(destination).storageType(StorageType.Memory).build());
                }
                cleanups.add(() -> {
                    try (io.nats.client.Connection c = Nats.connect(url)) {
                        c.jetStreamManagement().deleteStream(destination);
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot delete stream " + destination, e);
                    }
                });
                yield Map.of("OUTBOX_NATS_URL", url);
            }
            case "redis" -> {
                String url = required("OUTBOX_TEST_REDIS_URL", ".ci/services.sh");
                cleanups.add(() -> {
                    try (RedisClient client = RedisClient.create(url)) {
                        client.del(destination);
                    }
                });
                yield Map.of("OUTBOX_REDIS_URL", url);
            }
            case "http" -> {
                HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                server.createContext("/", exchange -> {
                    exchange.getRequestBody().readAllBytes();
                    exchange.sendResponseHeaders(204, -1);
                    exchange.close();
                });
                server.start();
                cleanups.add(() -> server.stop(0));
                yield Map.of("OUTBOX_ROUTE_DEFAULT", "http://127.0.0.1:" + server.getAddress().getPort() + "/events",
                        "OUTBOX_WEBHOOK_SECRETS", "whsec_" + java.util.Base64.getEncoder()
                                .encodeToString("distribution-test-secret".getBytes(StandardCharsets.UTF_8)));
            }
            case "eventbridge" -> {
                String endpoint = required("OUTBOX_TEST_AWS_ENDPOINT", "bash .ci/emulators.sh start");
                try (EventBridgeClient events = eventBridge(endpoint)) {
                    events.createEventBus(b -> b.name(destination));
                }
                cleanups.add(() -> {
                    try (EventBridgeClient events = eventBridge(endpoint)) {
                        events.deleteEventBus(b -> b.name(destination));
                    }
                });
                yield Map.of("OUTBOX_EVENTBRIDGE_ENDPOINT", endpoint, "OUTBOX_EVENTBRIDGE_REGION", "us-east-1",
                        "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test");
            }
            case "pubsub" -> {
                String emulator = required("OUTBOX_TEST_PUBSUB_EMULATOR_HOST", "bash .ci/emulators.sh start");
                // The emulator's REST face: enough to create and delete a topic without a gRPC client here.
                URI topic = URI.create("http://" + emulator + "/v1/projects/outbox-test/topics/" + destination);
                java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                var created = http.send(java.net.http.HttpRequest.newBuilder(topic)
                        .PUT(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
                cleanups.add(() -> http.sendAsync(java.net.http.HttpRequest.newBuilder(topic).DELETE().build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding()).join());
                yield Map.of("OUTBOX_PUBSUB_PROJECT", "outbox-test", "OUTBOX_PUBSUB_ENDPOINT", emulator);
            }
            case "sqs" -> {
                String endpoint = required("OUTBOX_TEST_AWS_ENDPOINT", "bash .ci/emulators.sh start");
                String queue;
                try (SqsClient sqs = sqs(endpoint)) {
                    queue = sqs.createQueue(b -> b.queueName(destination)).queueUrl();
                }
                cleanups.add(() -> {
                    try (SqsClient sqs = sqs(endpoint)) {
                        sqs.deleteQueue(b -> b.queueUrl(queue));
                    }
                });
                yield Map.of("OUTBOX_SQS_ENDPOINT", endpoint, "OUTBOX_SQS_REGION", "us-east-1",
                        "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test");
            }
            default -> throw new IllegalArgumentException(transport);
        };
    }

    private final List<Runnable> cleanups = new java.util.ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void cleanUp() {
        cleanups.forEach(Runnable::run);
    }


    /** A client of moto's SQS, with moto's dummy credentials. */
    private static SqsClient sqs(String endpoint) {
        return SqsClient.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    /** A client of moto's EventBridge, with moto's dummy credentials. */
    private static EventBridgeClient eventBridge(String endpoint) {
        return EventBridgeClient.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    private static String required(String key, String how) {
        String value = System.getenv(key);
        if (value == null || value.isBlank()) {
            throw new AssertionError(key + " is not set: start the service (" + how + ") and set it");
        }
        return value;
    }
}
