package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.internal.LogFields;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConsoleLoggerFinderTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final System.Logger logger = new ConsoleLoggerFinder().getLogger("dev.outbox.relay", getClass().getModule());

    @AfterEach
    void restoreDefaults() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.INFO, null);
    }

    @Test
    void jsonLineIsValidJsonWithLogFieldsAsTopLevelFields() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.JSON, Level.INFO, out);

        logger.log(Level.WARNING, "relay connected {0}", LogFields.of("instance", "x", "slots_owned", 12,
                "retryable", true));

        JsonObject line = parse(single());
        assertThat(line.getString("level")).isEqualTo("WARN");
        assertThat(line.getString("logger")).isEqualTo("dev.outbox.relay");
        assertThat(line.getString("message")).isEqualTo("relay connected");
        assertThat(line.getString("instance")).isEqualTo("x");
        assertThat(line.getInt("slots_owned")).isEqualTo(12);
        assertThat(line.getBoolean("retryable")).isTrue();
        assertThat(line.getString("time")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    }

    @Test
    void jsonLineSummarisesTheThrowableAsError() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.JSON, Level.INFO, out);

        logger.log(Level.ERROR, "query \"failed\"", new SQLException("connection refused", "08001",
                new java.net.ConnectException("refused")));

        JsonObject line = parse(single());
        assertThat(line.getString("message")).isEqualTo("query \"failed\"");
        assertThat(line.getString("error")).isEqualTo("java.sql.SQLException: connection refused;"
                + " caused by java.net.ConnectException: refused");
    }

    @Test
    void textLineHasTimeLevelLoggerAndFieldsAsKeyValues() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.INFO, out);

        logger.log(Level.INFO, "relay connected {0}", LogFields.of("instance", "x"));

        assertThat(single()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  dev\\.outbox\\.relay"
                + " - relay connected instance=x");
    }

    @Test
    void textLineEscapesControlCharactersSoAKeyCannotForgeALineOrDriveTheTerminal() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.INFO, out);

        logger.log(Level.WARNING, "delivery failed for {0} {1}", "Order/o-1\n2026-01-01T00:00:00.000Z INFO  forged",
                LogFields.of("type", "\u001b[2J\u001b]0;owned\u0007", "error", "refused\r\n"));

        assertThat(single()).endsWith(" - delivery failed for Order/o-1\\n2026-01-01T00:00:00.000Z INFO  forged"
                + " type=\\u001b[2J\\u001b]0;owned\\u0007 error=refused\\r\\n");
    }

    @Test
    void textStackTraceEscapesTheMessagesOfTheThrowableAndItsCauses() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.INFO, out);

        logger.log(Level.ERROR, "loop failed", new IllegalStateException("key k\nFORGED line",
                new RuntimeException("cause\u001b[31m")));

        var lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.get(0)).endsWith(" - loop failed");
        assertThat(lines.get(1)).isEqualTo("java.lang.IllegalStateException: key k\\nFORGED line");
        assertThat(lines).contains("Caused by: java.lang.RuntimeException: cause\\u001b[31m");
        assertThat(lines.subList(2, lines.size())).allSatisfy(l -> assertThat(l).matches("(\tat |\t\\.\\.\\. |Caused by: ).*"));
        assertThat(bytes.toString(StandardCharsets.UTF_8)).doesNotContain("\u001b");
    }

    @Test
    void jsonLineKeepsControlCharactersExactButEscapedOnOneLine() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.JSON, Level.INFO, out);

        logger.log(Level.WARNING, "delivery failed {0}", LogFields.of("key", "o-1\n{\"level\":\"INFO\"}\u001b[2J"));

        String line = single();
        assertThat(line).doesNotContain("\u001b");
        assertThat(parse(line).getString("key")).isEqualTo("o-1\n{\"level\":\"INFO\"}\u001b[2J");
    }

    @Test
    void everyLineIncludingStackTracesPassesThroughTheRedactor() {
        SidecarConfig config = SidecarConfig.load(Map.of("OUTBOX_JDBC_URL", "jdbc:postgresql://db/app?password=jdbcPw99",
                "OUTBOX_TRANSPORT", "log"), null, List.of(new dev.outbox.relay.transport.log.LogTransportFactory()));
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.INFO, out, config::redact);

        logger.log(Level.WARNING, "client said {0}", "auth failed for jdbcPw99", new IllegalStateException("jdbcPw99"));

        assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("auth failed for ****").doesNotContain("jdbcPw99");
    }

    @Test
    void dropsRecordsBelowTheConfiguredLevel() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.WARNING, out);

        logger.log(Level.INFO, "not shown");
        logger.log(Level.DEBUG, "not shown either");
        logger.log(Level.ERROR, "shown");

        assertThat(single()).endsWith(" - shown");
        assertThat(logger.isLoggable(Level.INFO)).isFalse();
    }

    @Test
    void chattyBrokerClientsShowOnlyWarningsAtInfoAndEverythingAtDebug() {
        org.slf4j.Logger kafka = new Slf4jSystemLoggerProvider().getLoggerFactory()
                .getLogger("org.apache.kafka.clients.producer.ProducerConfig");
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.INFO, out);
        kafka.info("ProducerConfig values: …");
        kafka.warn("metadata refresh failed");
        assertThat(single()).contains("WARN").endsWith("metadata refresh failed");

        bytes.reset();
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.TEXT, Level.DEBUG, out);
        kafka.info("ProducerConfig values: …");
        assertThat(single()).contains("INFO").endsWith("ProducerConfig values: …");
    }

    @Test
    void forwardsSlf4jCallsToTheSystemLogger() {
        ConsoleLoggerFinder.configure(SidecarConfig.LogFormat.JSON, Level.INFO, out);
        // HikariCP's loggers are looked up by class name through SLF4J; the finder answers for any name.
        org.slf4j.Logger slf4j = new Slf4jSystemLoggerProvider().getLoggerFactory().getLogger("com.zaxxer.hikari.Pool");

        slf4j.info("{} - Start completed.", "outbox-relay");

        JsonObject line = parse(single());
        assertThat(line.getString("message")).isEqualTo("outbox-relay - Start completed.");
    }

    private String single() {
        var lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(1);
        return lines.get(0);
    }

    private static JsonObject parse(String line) {
        try (var reader = Json.createReader(new StringReader(line))) {
            return reader.readObject();
        }
    }
}
