package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.transport.log.LogTransportFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidecarConfigTest {
    private static final String URL = "jdbc:postgresql://db:5432/app";
    private static final String SECRET = "s3cr3t-Pa55word";

    /** A second installed transport with keys and a secret, like kafka would be. */
    private static final Setting<String> SERVERS = Setting.text("kafka.bootstrapServers",
            "OUTBOX_KAFKA_BOOTSTRAP_SERVERS").required().description("brokers").build();
    private static final Setting<String> SASL_PASSWORD = Setting.text("kafka.saslPassword",
            "OUTBOX_KAFKA_SASL_PASSWORD").secret().description("password").build();
    private static final TransportFactory KAFKA = new TransportFactory() {
        @Override
        public String name() {
            return "kafka";
        }

        @Override
        public ConfigModel config() {
            return ConfigModel.of("kafka", List.of(SERVERS, SASL_PASSWORD));
        }

        @Override
        public Transport create(ConfigValues values) {
            throw new OutboxException("cannot reach " + values.get(SERVERS) + " with password "
                    + values.find(SASL_PASSWORD).orElse("-"));
        }
    };
    private static final List<TransportFactory> TRANSPORTS = List.of(new LogTransportFactory(), KAFKA);

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void readsEveryKeyWithDefaultsForTheRest() {
        SidecarConfig config = load(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_BATCH_SIZE", "100",
                "OUTBOX_MIN_POLL_INTERVAL", "250ms", "OUTBOX_LISTEN_NOTIFY", "true", "OUTBOX_HTTP_PORT", "0",
                "OUTBOX_LOG_FORMAT", "json", "OUTBOX_LOG_LEVEL", "warn", "OUTBOX_POOL_SIZE", "4"));

        assertThat(config.jdbcUrl()).isEqualTo(URL);
        assertThat(config.transport().name()).isEqualTo("log");
        assertThat(config.relayConfig().batchSize()).isEqualTo(100);
        assertThat(config.relayConfig().minPollInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.relayConfig().listenNotify()).isTrue();
        assertThat(config.relayConfig().maxAttempts()).isEqualTo(10);
        assertThat(config.httpEnabled()).isTrue();
        assertThat(config.httpHost()).isEqualTo("0.0.0.0");
        assertThat(config.httpPort()).isZero();
        assertThat(config.logFormat()).isEqualTo(SidecarConfig.LogFormat.JSON);
        assertThat(config.logLevel()).isEqualTo(Level.WARNING);
        assertThat(config.poolSize()).isEqualTo(4);
    }

    @Test
    void environmentOverridesTheConfigFileKeyByKey() throws IOException {
        Path file = dir.resolve("relay.properties");
        Files.writeString(file, "OUTBOX_JDBC_URL=" + URL + "\nOUTBOX_BATCH_SIZE=100\nOUTBOX_MAX_ATTEMPTS=3\n");

        SidecarConfig config = SidecarConfig.load(Map.of("OUTBOX_CONFIG_FILE", file.toString(),
                "OUTBOX_BATCH_SIZE", "200"), null, TRANSPORTS);

        assertThat(config.relayConfig().batchSize()).isEqualTo(200);
        assertThat(config.relayConfig().maxAttempts()).isEqualTo(3);
        assertThat(config.jdbcUrl()).isEqualTo(URL);
    }

    @Test
    void readsTheConfigFileGivenOnTheCommandLine() throws IOException {
        Path file = dir.resolve("relay.properties");
        Files.writeString(file, "OUTBOX_JDBC_URL=" + URL + "\nOUTBOX_BATCH_SIZE=7\n");

        SidecarConfig config = SidecarConfig.load(Map.of(), file, TRANSPORTS);

        assertThat(config.relayConfig().batchSize()).isEqualTo(7);
    }

    @Test
    void ignoresKeysReservedForTheTestSuite() {
        SidecarConfig config = load(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_TEST_JDBC_URL", "whatever"));

        assertThat(config.settings()).doesNotContainKey("OUTBOX_TEST_JDBC_URL");
    }

    @Test
    void consoleTokenIsASecretReadFromAFileAndRefusedWhenShortWithoutQuotingIt() throws IOException {
        Path file = dir.resolve("console-token");
        Files.writeString(file, "console-token-from-a-file\n");
        SidecarConfig fromFile = load(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_CONSOLE_TOKEN_FILE", file.toString()));
        assertThat(fromFile.consoleToken()).isEqualTo("console-token-from-a-file");
        assertThat(fromFile.describe()).contains("OUTBOX_CONSOLE_TOKEN=****").doesNotContain("console-token-from-a-file");
        assertThat(fromFile.consoleEnabled()).isTrue();
        assertThat(load(Map.of("OUTBOX_JDBC_URL", URL)).consoleToken()).isNull();
        assertThat(load(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_CONSOLE_ENABLED", "false")).consoleEnabled()).isFalse();
        assertThat(SidecarConfig.help(TRANSPORTS)).contains("OUTBOX_CONSOLE_TOKEN", "OUTBOX_CONSOLE_ENABLED");

        assertThatThrownBy(() -> load(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_CONSOLE_TOKEN", "short-tok")))
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).anySatisfy(p -> assertThat(p)
                        .contains("OUTBOX_CONSOLE_TOKEN").contains("16 or more characters").doesNotContain("short-tok")));
    }

    @Test
    void rejectsMissingJdbcUrl() {
        assertConfigurationError(Map.of(), "OUTBOX_JDBC_URL is required: " + SidecarConfig.JDBC_URL.description());
    }

    @Test
    void rejectsJdbcUrlOfAnotherDatabase() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", "jdbc:mysql://db/app"),
                "OUTBOX_JDBC_URL must start with jdbc:postgresql: (was \"jdbc:mysql://db/app\")");
    }

    @Test
    void rejectsNumberThatIsNotANumber() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_BATCH_SIZE", "12x"),
                "OUTBOX_BATCH_SIZE must be a whole number (was \"12x\")");
    }

    @Test
    void rejectsNumberOutOfRangeNamingTheKey() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_BATCH_SIZE", "0"),
                "OUTBOX_BATCH_SIZE must be between 1 and 10000 (was 0)");
    }

    @Test
    void rejectsPoolSizeOutOfRange() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_POOL_SIZE", "1"),
                "OUTBOX_POOL_SIZE must be between 2 and 20 (was 1)");
    }

    @Test
    void rejectsBadDuration() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_SEND_TIMEOUT", "ten seconds"),
                "OUTBOX_SEND_TIMEOUT must be a duration such as 500ms, 10s, 5m, 2h, 7d or PT10S (was \"ten seconds\")");
    }

    @Test
    void rejectsBooleanThatIsNotTrueOrFalse() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_LISTEN_NOTIFY", "yes"),
                "OUTBOX_LISTEN_NOTIFY must be true or false (was \"yes\")");
    }

    @Test
    void rejectsMinPollIntervalAboveMaxPollInterval() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_MIN_POLL_INTERVAL", "2s",
                "OUTBOX_MAX_POLL_INTERVAL", "1s"),
                "OUTBOX_MIN_POLL_INTERVAL must be <= OUTBOX_MAX_POLL_INTERVAL (was 2s > 1s)");
    }

    @Test
    void rejectsUnknownKeySuggestingTheClosestKnownKey() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_BATCH_SIZ", "100"),
                "unknown configuration key OUTBOX_BATCH_SIZ (did you mean OUTBOX_BATCH_SIZE?)");
    }

    @Test
    void rejectsUnknownKeyInTheConfigFile() throws IOException {
        Path file = dir.resolve("relay.properties");
        Files.writeString(file, "OUTBOX_JDBC_URL=" + URL + "\nOUTBOX_RETENTON=7d\n");

        assertConfigurationError(Map.of("OUTBOX_CONFIG_FILE", file.toString()),
                "unknown configuration key OUTBOX_RETENTON (did you mean OUTBOX_RETENTION?)");
    }

    @Test
    void rejectsUnreadableConfigFile() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_CONFIG_FILE", dir.resolve("nope").toString()),
                "OUTBOX_CONFIG_FILE: cannot read the properties file " + dir.resolve("nope") + " (NoSuchFileException)");
    }

    @Test
    void rejectsPasswordAndPasswordFileBothSet() throws IOException {
        Path file = dir.resolve("password");
        Files.writeString(file, SECRET);

        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_JDBC_PASSWORD", SECRET,
                "OUTBOX_JDBC_PASSWORD_FILE", file.toString()),
                "OUTBOX_JDBC_PASSWORD and OUTBOX_JDBC_PASSWORD_FILE are both set: use one of them");
    }

    @Test
    void readsThePasswordFromAFileTrimmed() throws IOException {
        Path file = dir.resolve("password");
        Files.writeString(file, "  " + SECRET + "\n");

        SidecarConfig config = load(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_JDBC_PASSWORD_FILE", file.toString()));

        assertThat(config.jdbcPassword()).isEqualTo(SECRET);
    }

    @Test
    void rejectsUnreadableSecretFileNamingKeyAndPath() {
        Path missing = dir.resolve("missing-password");

        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_JDBC_PASSWORD_FILE", missing.toString()),
                "OUTBOX_JDBC_PASSWORD_FILE: cannot read the secret file " + missing + " (NoSuchFileException)");
    }

    @Test
    void rejectsUnknownTransportListingTheInstalledOnes() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_TRANSPORT", "carrier-pigeon"),
                "OUTBOX_TRANSPORT must be one of the installed transports: kafka, log (was \"carrier-pigeon\")");
    }

    @Test
    void rejectsAKeyOfAnotherInstalledTransport() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_KAFKA_BOOTSTRAP_SERVERS", "k:9092"),
                "OUTBOX_KAFKA_BOOTSTRAP_SERVERS belongs to transport kafka, which conflicts with OUTBOX_TRANSPORT=log:"
                        + " remove OUTBOX_KAFKA_BOOTSTRAP_SERVERS or set OUTBOX_TRANSPORT=kafka");
    }

    @Test
    void acceptsTheSelectedTransportsKeysAndSecretFiles() throws IOException {
        Path file = dir.resolve("sasl");
        Files.writeString(file, SECRET + "\n");

        SidecarConfig config = load(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_TRANSPORT", "kafka",
                "OUTBOX_KAFKA_BOOTSTRAP_SERVERS", "k:9092", "OUTBOX_KAFKA_SASL_PASSWORD_FILE", file.toString()));

        assertThat(config.transportValues().get(SERVERS)).isEqualTo("k:9092");
        assertThat(config.transportValues().get(SASL_PASSWORD)).isEqualTo(SECRET);
        assertThat(config.describe()).contains("OUTBOX_KAFKA_SASL_PASSWORD=****").doesNotContain(SECRET);
    }

    @Test
    void reportsAllProblemsTogetherOnePerLine() {
        int code = run(Map.of("OUTBOX_BATCH_SIZE", "0", "OUTBOX_BACKOFF_CAP", "forever", "OUTBOX_LOG_FORMAT", "xml"));

        assertThat(code).isEqualTo(Main.EXIT_CONFIGURATION);
        assertThat(stderr().lines()).containsExactlyInAnyOrder(
                "configuration error: OUTBOX_JDBC_URL is required: " + SidecarConfig.JDBC_URL.description(),
                "configuration error: OUTBOX_BATCH_SIZE must be between 1 and 10000 (was 0)",
                "configuration error: OUTBOX_BACKOFF_CAP must be a duration such as 500ms, 10s, 5m, 2h, 7d or PT10S"
                        + " (was \"forever\")",
                "configuration error: OUTBOX_LOG_FORMAT must be one of text, json (was \"xml\")");
    }

    @Test
    void secretsNeverAppearInOutputOrDescription() throws IOException {
        Path file = dir.resolve("sasl");
        Files.writeString(file, SECRET);
        Map<String, String> env = new HashMap<>(Map.of("OUTBOX_JDBC_URL", URL + "?user=app&password=" + SECRET,
                "OUTBOX_JDBC_PASSWORD", SECRET));

        SidecarConfig config = load(env);
        assertThat(config.describe()).contains("password=****").contains("OUTBOX_JDBC_PASSWORD=****")
                .doesNotContain(SECRET);
        assertThat(config.toString()).doesNotContain(SECRET);

        env.put("OUTBOX_BATCH_SIZE", SECRET); // a secret pasted into the wrong key is still not echoed
        env.put("OUTBOX_JDBC_PASSWORD_FILE", file.toString());
        assertThat(run(env)).isEqualTo(Main.EXIT_CONFIGURATION);

        // the transport factory quotes the secret back in its error message
        assertThat(run(Map.of("OUTBOX_JDBC_URL", URL, "OUTBOX_TRANSPORT", "kafka",
                "OUTBOX_KAFKA_BOOTSTRAP_SERVERS", "k:9092", "OUTBOX_KAFKA_SASL_PASSWORD_FILE", file.toString(),
                "OUTBOX_HTTP_ENABLED", "false"))).isEqualTo(Main.EXIT_CONFIGURATION);

        assertThat(stderr()).contains("configuration error: transport kafka: cannot reach k:9092 with password ****")
                .doesNotContain(SECRET);
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain(SECRET);
    }

    @Test
    void masksPasswordParametersOfTheJdbcUrl() {
        assertThat(Redaction.parameters("jdbc:postgresql://h/db?user=u&password=p%40ss&ssl=true"))
                .isEqualTo("jdbc:postgresql://h/db?user=u&password=****&ssl=true");
        assertThat(Redaction.parameters("jdbc:postgresql://h/db?sslpassword=x")).isEqualTo(
                "jdbc:postgresql://h/db?sslpassword=****");
    }

    @Test
    void aJdbcUrlThatTheDriverRejectsIsAConfigurationErrorInEveryCommandWithoutThePassword() {
        Map<String, String> env = Map.of("OUTBOX_JDBC_URL",
                "jdbc:postgresql://127.0.0.1:99999/app?user=app&password=" + SECRET, "OUTBOX_HTTP_ENABLED", "false");
        String[][] commands = {{"run"}, {"status"}, {"dead", "list"}, {"dead", "retry", "--all"},
            {"purge"}, {"replay", "--from", "2026-01-01", "--to", "2026-01-02"}};
        for (String[] command : commands) {
            err.reset();
            assertThat(run(env, command)).as(String.join(" ", command)).isEqualTo(Main.EXIT_CONFIGURATION);
            assertThat(stderr()).as(String.join(" ", command))
                    .contains("configuration error: OUTBOX_JDBC_URL port must be 1..65535 (was 99999)")
                    .doesNotContain(SECRET).doesNotContain("\tat ");
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain(SECRET);
    }

    @Test
    void rejectsJdbcUrlsThatTheDriverCannotParse() {
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", "jdbc:postgresql://db:abc/app"),
                "OUTBOX_JDBC_URL port must be 1..65535 (was abc)");
        assertConfigurationError(Map.of("OUTBOX_JDBC_URL", "jdbc:postgresql://db/app?sslmode=sometimes&password=x"),
                "OUTBOX_JDBC_URL parameter sslmode must be one of disable, allow, prefer, require, verify-ca,"
                        + " verify-full (was \"sometimes\")");
    }

    @Test
    void describeMasksUserInfoAndQueryOfUrlLikeValues() {
        SidecarConfig config = load(Map.of("OUTBOX_JDBC_URL", URL + "?user=app&sslpassword=" + SECRET,
                "OUTBOX_TRANSPORT", "kafka",
                "OUTBOX_KAFKA_BOOTSTRAP_SERVERS", "nats://app:" + SECRET + "@h:4222,https://h/hook?token=" + SECRET
                        + "&format=json&x=1"));

        assertThat(config.describe()).doesNotContain(SECRET)
                .contains("OUTBOX_JDBC_URL=" + URL + "?user=app&sslpassword=****")
                .contains("nats://app:****@h:4222,https://h/hook?token=****&format=****&x=****");
        assertThat(Redaction.credentials("nats://" + SECRET + "@h:4222 redis://:" + SECRET + "@r:6379/0"))
                .isEqualTo("nats://****@h:4222 redis://:****@r:6379/0");
        // The credentials are masked wherever they appear (a client's error text); short query values are not.
        assertThat(config.redact("cannot connect to [nats://app:" + SECRET + "@h:4222] format=json"))
                .isEqualTo("cannot connect to [nats://app:****@h:4222] format=json");
    }

    @Test
    void rejectsNegativeOrZeroNumbersOnTheCommandLineWithExitCode2() {
        Map<String, String> env = Map.of("OUTBOX_JDBC_URL", URL);
        String[][] commands = {{"dead", "list", "--limit", "-1"}, {"dead", "list", "--limit", "0"},
            {"purge", "--older-than", "-1d"}, {"purge", "--older-than", "PT-1S"}, {"purge", "--batch-size", "0"},
            {"replay", "--from", "2026-01-01", "--to", "2026-01-02", "--timeout", "0s"},
            {"status", "--check", "--max-age", "-5m"}};
        for (String[] command : commands) {
            err.reset();
            assertThat(run(env, command)).as(String.join(" ", command)).isEqualTo(Main.EXIT_USAGE);
            assertThat(stderr()).as(String.join(" ", command)).contains("Invalid value for option '" + command[command.length - 2] + "'")
                    .contains("(was \"" + command[command.length - 1] + "\")");
        }
    }

    @Test
    void rejectsAnInvalidCommandLineWithExitCode2() {
        assertThat(run(Map.of("OUTBOX_JDBC_URL", URL), "run", "--no-such-option")).isEqualTo(Main.EXIT_USAGE);
        assertThat(run(Map.of(), "no-such-command")).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void helpListsTheExitCodes() {
        assertThat(run(Map.of(), "--help")).isEqualTo(Main.EXIT_OK);

        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Exit codes:", "3   invalid configuration");
    }

    @Test
    void runHelpListsEveryDeclaredKeyWithItsDescriptionAndDefault() {
        assertThat(run(Map.of(), "run", "--help")).isEqualTo(Main.EXIT_OK);

        String help = out.toString(StandardCharsets.UTF_8);
        for (ConfigModel model : List.of(SidecarConfig.MODEL, RelayConfig.MODEL, KAFKA.config())) {
            for (Setting<?> s : model.settings()) {
                assertThat(help).as("run --help shows %s", s.env()).contains(s.env() + " ");
            }
        }
        assertThat(help).contains("transport kafka:", "OUTBOX_KAFKA_SASL_PASSWORD", "[secret; or OUTBOX_KAFKA_SASL_PASSWORD_FILE]",
                "OUTBOX_BATCH_SIZE", "(default 500)", RelayConfig.BATCH_SIZE.description());
    }

    private void assertConfigurationError(Map<String, String> env, String expected) {
        assertThatThrownBy(() -> load(env)).isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).contains(expected));
        assertThat(run(env)).isEqualTo(Main.EXIT_CONFIGURATION);
        assertThat(stderr()).contains("configuration error: " + expected);
    }

    private static SidecarConfig load(Map<String, String> env) {
        return SidecarConfig.load(env, null, TRANSPORTS);
    }

    private int run(Map<String, String> env, String... args) {
        String[] arguments = args.length == 0 ? new String[] {"run"} : args;
        CountDownLatch stopAtOnce = new CountDownLatch(0);
        return Main.execute(arguments, new SidecarContext(env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), TRANSPORTS, stopAtOnce));
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theSidecarReadsOutboxBatchMaxBytes() {
        SidecarConfig config = SidecarConfig.load(Map.of("OUTBOX_JDBC_URL", "jdbc:postgresql://localhost/db",
                "OUTBOX_BATCH_MAX_BYTES", "4194304"), null, List.of(new LogTransportFactory()));
        assertThat(config.relayConfig().batchMaxBytes()).isEqualTo(4 << 20);
    }
}
