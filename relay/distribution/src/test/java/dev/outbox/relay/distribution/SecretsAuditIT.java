package dev.outbox.relay.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.outbox.relay.sidecar.Main;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.testing.Await;
import dev.outbox.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The auditor's test of issue 8: a distinct marker in every secret-bearing key, every command in
 * its success and failure paths, and all output grepped for the markers. Operator commands run
 * in-process ({@link Main#execute}) for the whole matrix and as real processes ({@code java -jar
 * target/relay.jar}) where the driver or a client library writes on its own (failures); {@code run}
 * always runs as a real process at DEBUG, so stack traces and client libraries' logs are caught.
 */
class SecretsAuditIT {
    private static final String JDBC_PASSWORD = "mkJdbcPw01";
    private static final String URL_PASSWORD = "mkUrlPw02";
    private static final String AMQP_PASSWORD = "mkAmqpPw03";
    private static final String REDIS_PASSWORD = "mkRedisPw04";
    private static final String NATS_URL_PASSWORD = "mkNatsPw05";
    private static final String NATS_URL_TOKEN = "mkNatsTok06";
    private static final String NATS_TOKEN = "mkNatsTok07";
    /** Valid base64 (24 bytes), so the transport accepts it as a signing key. */
    private static final String WEBHOOK_SECRET = "mkWhsec8".repeat(4);
    private static final String WEBHOOK_HEADER = "mkHdr09";
    private static final String WEBHOOK_QUERY = "mkQuery10x";
    private static final String KAFKA_PROPERTY = "mkKafka11";
    /** The console's token must have 16 characters or more. */
    private static final String CONSOLE_TOKEN = "mkConsoleToken12";
    private static final List<String> MARKERS = List.of(JDBC_PASSWORD, URL_PASSWORD, AMQP_PASSWORD, REDIS_PASSWORD,
            NATS_URL_PASSWORD, NATS_URL_TOKEN, NATS_TOKEN, "mkWhsec8", WEBHOOK_HEADER, WEBHOOK_QUERY, KAFKA_PROPERTY,
            CONSOLE_TOKEN);
    private static final Path RELAY_JAR = Path.of("target", "outbox-relay", "relay.jar");
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();
    private static TestDatabase db;
    private static HttpServer receiver;
    private static int closedPort;

    @TempDir
    static Path dir;

    /** What each run printed, by a label naming the command, the transport and the path. */
    private final Map<String, String> outputs = new LinkedHashMap<>();

    @BeforeAll
    static void services() throws IOException {
        db = FIXTURE.db();
        assertThat(RELAY_JAR).as("relay.jar is built by `mvn package`, before failsafe runs the ITs").exists();
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        try (ServerSocket free = new ServerSocket(0)) {
            closedPort = free.getLocalPort(); // nothing listens here after the close: connections are refused
        }
    }

    @AfterAll
    static void stopReceiver() {
        receiver.stop(0);
    }

    /** The JDBC URL of the test database, with a password parameter (trust authentication ignores it). */
    private static String jdbcUrl() {
        return db.jdbcUrl() + "&password=" + URL_PASSWORD;
    }

    private static Map<String, String> base(String jdbcUrl) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("OUTBOX_JDBC_URL", jdbcUrl);
        env.put("OUTBOX_JDBC_PASSWORD", JDBC_PASSWORD);
        env.put("OUTBOX_CONSOLE_TOKEN", CONSOLE_TOKEN);
        env.put("OUTBOX_HTTP_HOST", "127.0.0.1");
        env.put("OUTBOX_HTTP_PORT", "0");
        env.put("OUTBOX_LOG_LEVEL", "DEBUG");
        env.put("OUTBOX_MAX_POLL_INTERVAL", "100ms");
        env.put("OUTBOX_SEND_TIMEOUT", "5s");
        env.put("OUTBOX_SHUTDOWN_TIMEOUT", "5s");
        return env;
    }

    /**
     * Each transport's keys with markers in their secrets, pointed at the real broker or at a
     * closed port. Where the broker checks a password (RabbitMQ's guest, Redis without one), the
     * reachable variant carries the working credentials and only the unreachable one the marker.
     */
    private static Map<String, Map<String, String>> transports(boolean reachable) throws IOException {
        String host = "127.0.0.1:" + closedPort;
        Path kafkaProperties = dir.resolve("kafka.properties");
        Files.writeString(kafkaProperties, "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule"
                + " required username=\"relay\" password=\"" + KAFKA_PROPERTY + "\";\n"
                + "ssl.truststore.password=" + KAFKA_PROPERTY + "\n");
        Map<String, Map<String, String>> t = new LinkedHashMap<>();
        t.put("kafka", Map.of("OUTBOX_TRANSPORT", "kafka",
                "OUTBOX_KAFKA_BOOTSTRAP_SERVERS", reachable ? "127.0.0.1:9092" : host,
                "OUTBOX_KAFKA_PROPERTIES_FILE", kafkaProperties.toString(), "OUTBOX_KAFKA_MAX_BLOCK", "2s"));
        t.put("rabbitmq", Map.of("OUTBOX_TRANSPORT", "rabbitmq",
                "OUTBOX_RABBITMQ_URI", reachable ? "amqp://guest:guest@127.0.0.1:5672" : "amqp://relay:" + AMQP_PASSWORD + "@" + host,
                "OUTBOX_RABBITMQ_DECLARE_EXCHANGE", "true"));
        t.put("redis", Map.of("OUTBOX_TRANSPORT", "redis",
                "OUTBOX_REDIS_URL", reachable ? "redis://127.0.0.1:6379" : "redis://:" + REDIS_PASSWORD + "@" + host));
        t.put("nats-userinfo", Map.of("OUTBOX_TRANSPORT", "nats",
                "OUTBOX_NATS_URL", "nats://relay:" + NATS_URL_PASSWORD + "@" + (reachable ? "127.0.0.1:4222" : host)));
        t.put("nats-token", Map.of("OUTBOX_TRANSPORT", "nats",
                "OUTBOX_NATS_URL", "nats://" + NATS_URL_TOKEN + "@" + (reachable ? "127.0.0.1:4222" : host),
                "OUTBOX_NATS_TOKEN", NATS_TOKEN));
        t.put("http", Map.of("OUTBOX_TRANSPORT", "http",
                "OUTBOX_WEBHOOK_URL", "http://" + (reachable ? "127.0.0.1:" + receiver.getAddress().getPort() : host)
                        + "/hook?token=" + WEBHOOK_QUERY,
                "OUTBOX_WEBHOOK_SECRETS", "whsec_" + WEBHOOK_SECRET,
                "OUTBOX_WEBHOOK_HEADERS", "Authorization: Bearer " + WEBHOOK_HEADER));
        return t;
    }

    @Test
    void noCommandPrintsASecretOnAnyPath() throws Exception {
        String unreachableDb = "jdbc:postgresql://127.0.0.1:" + closedPort + "/app?user=relay&password=" + URL_PASSWORD;
        String malformed = "jdbc:postgresql://127.0.0.1:99999/app?user=relay&password=" + URL_PASSWORD;
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " VALUES ('Audit', 'a-1', 'Audited', '{}')");
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, published_at)"
                + " VALUES ('Audit', 'a-2', 'Audited', '{}', now())");

        for (var transport : transports(true).entrySet()) {
            Map<String, String> ok = with(base(jdbcUrl()), transport.getValue());
            String t = transport.getKey();
            expect(0, inProcess(t + " status", ok, "status"));
            expect(0, inProcess(t + " status --json", ok, "status", "--json"));
            inProcess(t + " status --check", ok, "status", "--check");
            expect(0, inProcess(t + " dead list", ok, "dead", "list"));
            expect(0, inProcess(t + " dead list --json", ok, "dead", "list", "--json"));
            expect(0, inProcess(t + " dead retry --all", ok, "dead", "retry", "--all"));
            expect(1, inProcess(t + " dead discard (not dead)", ok, "dead", "discard",
                    "00000000-0000-7000-8000-000000000000"));
            expect(0, inProcess(t + " replay --no-wait", ok, "replay", "--from", "2000-01-01", "--to", "2100-01-01",
                    "--no-wait"));
            expect(0, inProcess(t + " purge", ok, "purge", "--older-than", "7d"));
            expect(0, inProcess(t + " --help", ok, "--help"));
            expect(0, inProcess(t + " run --help", ok, "run", "--help"));
            Map<String, String> badConfig = with(ok, Map.of("OUTBOX_BATCH_SIZE", "0"));
            expect(3, inProcess(t + " status, bad configuration", badConfig, "status"));
            expect(3, inProcess(t + " run, bad configuration", badConfig, "run"));
            expect(3, inProcess(t + " status, malformed URL", with(ok, Map.of("OUTBOX_JDBC_URL", malformed)), "status"));
            expect(1, inProcess(t + " status, database unreachable",
                    with(ok, Map.of("OUTBOX_JDBC_URL", unreachableDb)), "status"));
            runUntil(t + " run", ok, false, () -> db.queryLong("SELECT count(*) FROM outbox.event"
                    + " WHERE published_at IS NULL AND attempts = 0 AND dead_at IS NULL") == 0);
            // a-1 undelivered again for the next transport (and for the broker-unreachable runs below).
            db.execute("WITH h AS (DELETE FROM outbox.event_history WHERE aggregateid = 'a-1' RETURNING id, seq,"
                    + " aggregatetype, aggregateid, type, payload, headers, occurred_at) INSERT INTO outbox.event"
                    + " (id, seq, aggregatetype, aggregateid, type, payload, headers, occurred_at) OVERRIDING SYSTEM VALUE"
                    + " SELECT * FROM h");
            db.execute("UPDATE outbox.event SET published_at = NULL, attempts = 0, dead_at = NULL, next_attempt_at = NULL"
                    + " WHERE aggregateid = 'a-1'");
        }

        Map<String, String> down = base(unreachableDb);
        for (String[] command : List.of(new String[] {"status"}, new String[] {"dead", "list"},
                new String[] {"dead", "retry", "--all"}, new String[] {"purge"},
                new String[] {"replay", "--from", "2000-01-01", "--to", "2100-01-01", "--no-wait"})) {
            expect(1, process(String.join(" ", command) + ", database unreachable", down, command));
            expect(3, process(String.join(" ", command) + ", malformed URL", base(malformed), command));
        }
        expect(3, process("run, malformed URL", base(malformed), "run"));
        runUntil("run, database unreachable", down, true, () -> false);

        for (var transport : transports(false).entrySet()) {
            runUntil(transport.getKey() + " run, broker unreachable", with(base(jdbcUrl()), transport.getValue()),
                    true, () -> false);
        }

        List<String> leaks = new ArrayList<>();
        outputs.forEach((label, output) -> output.lines().forEach(line -> MARKERS.stream()
                .filter(line::contains).forEach(marker -> leaks.add(label + ": " + marker + " in: " + line))));
        assertThat(leaks).as("secrets printed (%d runs audited)", outputs.size()).isEmpty();
    }

    private static Map<String, String> with(Map<String, String> env, Map<String, String> more) {
        Map<String, String> merged = new LinkedHashMap<>(env);
        merged.putAll(more);
        return merged;
    }

    private record Result(String label, int exitCode, String output) {
    }

    private void expect(int exitCode, Result result) {
        assertThat(result.exitCode()).as("exit code of %s:%n%s", result.label(), result.output()).isEqualTo(exitCode);
    }

    private Result inProcess(String label, Map<String, String> env, String... args) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(all, true, StandardCharsets.UTF_8);
        int code = Main.execute(args, env, stream, stream);
        String output = all.toString(StandardCharsets.UTF_8);
        outputs.put(label + " (in-process)", output);
        return new Result(label, code, output);
    }

    /** {@code java -jar relay.jar args} with exactly {@code env} as its OUTBOX_* keys, to completion. */
    private Result process(String label, Map<String, String> env, String... args) throws Exception {
        Process p = start(label, env, args);
        try {
            assertThat(p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as(label + " finished").isTrue();
        } finally {
            p.destroyForcibly(); // one that did not finish must not outlive the test
        }
        String output = Files.readString(outputFile(label));
        outputs.put(label + " (process)", output);
        return new Result(label, p.exitValue(), output);
    }

    /**
     * {@code relay run} as a process at DEBUG until it exited, or started and {@code done} holds or
     * (for a failure path, {@code untilWarning}) it logged a warning or an error; then SIGTERM.
     */
    private void runUntil(String label, Map<String, String> env, boolean untilWarning, BooleanSupplier done)
            throws Exception {
        Process p = start(label, env, "run");
        Path file = outputFile(label);
        try {
            Await.await(label + ": started, then " + "done or a warning", DEADLINE, () -> {
                String output = Files.readString(file);
                boolean started = output.contains("sidecar started");
                return !p.isAlive() || (started && done.getAsBoolean()) || (untilWarning && started
                        && output.lines().anyMatch(l -> l.contains(" WARN ") || l.contains(" ERROR ")));
            });
            p.destroy();
            assertThat(p.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)).as(label + " stopped").isTrue();
        } finally {
            p.destroyForcibly(); // a failed wait must not leave a relay running after the test
        }
        outputs.put(label + " (process)", Files.readString(file));
    }

    private Process start(String label, Map<String, String> env, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-jar", RELAY_JAR.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(outputFile(label).toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("OUTBOX_"));
        builder.environment().putAll(env);
        return builder.start();
    }

    private Path outputFile(String label) {
        return dir.resolve(label.replaceAll("[^A-Za-z0-9-]+", "_") + ".log");
    }
}
