package dev.outbox.relay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One declaration drives the environment, the builders, masking and the docs, each naming what the user wrote. */
class ConfigModelTest {
    static final Setting<String> URL = Setting.text("demo.url", "OUTBOX_DEMO_URL").required()
            .description("Where to send.").build();
    static final Setting<String> PASSWORD = Setting.text("demo.password", "OUTBOX_DEMO_PASSWORD").secret()
            .matching(java.util.regex.Pattern.compile("\\S{8,}"), "at least 8 characters without blanks")
            .description("The password.").build();
    static final Setting<Integer> SIZE = Setting.integer("demo.size", "OUTBOX_DEMO_SIZE").defaultValue(10)
            .check(Setting.between(1, 100)).description("How many.").build();
    static final Setting<Duration> MIN = Setting.duration("demo.min", "OUTBOX_DEMO_MIN").defaultValue(Duration.ofSeconds(1))
            .check(Setting.between(Duration.ZERO, Duration.ofHours(1))).description("Shortest wait.").build();
    static final Setting<Duration> MAX = Setting.duration("demo.max", "OUTBOX_DEMO_MAX").defaultValue(Duration.ofSeconds(5))
            .check(Setting.between(Duration.ZERO, Duration.ofHours(1))).description("Longest wait.").build();
    static final Setting<String> MODE = Setting.choice("demo.mode", "OUTBOX_DEMO_MODE", List.of("fast", "safe"))
            .defaultValue("safe").description("How.").build();
    static final ConfigModel MODEL = new ConfigModel("demo", List.of(URL, PASSWORD, SIZE, MIN, MAX, MODE),
            List.of(Rule.notAbove(MIN, MAX)));

    @Test
    void theEnvironmentIsReadWithDefaultsAndEveryProblemIsReportedAtOnceByKey() {
        ConfigValues values = ConfigReader.require(MODEL, Map.of("OUTBOX_DEMO_URL", " http://h ", "OUTBOX_DEMO_MODE", "FAST"));
        assertThat(values.get(URL)).isEqualTo("http://h");
        assertThat(values.get(SIZE)).isEqualTo(10);
        assertThat(values.get(MODE)).isEqualTo("fast");
        assertThat(values.find(SIZE)).isEmpty();

        List<String> problems = new ArrayList<>();
        Optional<ConfigValues> bad = ConfigReader.read(MODEL, Map.of("OUTBOX_DEMO_SIZE", "0", "OUTBOX_DEMO_MIN", "soon",
                "OUTBOX_DEMO_MODE", "slow"), problems);
        assertThat(bad).isEmpty();
        assertThat(problems).containsExactlyInAnyOrder(
                "OUTBOX_DEMO_SIZE must be between 1 and 100 (was 0)",
                "OUTBOX_DEMO_MIN must be a duration such as 500ms, 10s, 5m, 2h, 7d or PT10S (was \"soon\")",
                "OUTBOX_DEMO_MODE must be one of fast, safe (was \"slow\")",
                "OUTBOX_DEMO_URL is required: Where to send.");
    }

    @Test
    void rulesBetweenKeysNameTheKeysInTheEnvironmentAndThePropertiesInBuilders() {
        assertThatThrownBy(() -> ConfigReader.require(MODEL, Map.of("OUTBOX_DEMO_URL", "u", "OUTBOX_DEMO_MIN", "10s")))
                .isInstanceOf(OutboxException.class)
                .hasMessage("OUTBOX_DEMO_MIN must be <= OUTBOX_DEMO_MAX (was 10s > 5s)");
        assertThatThrownBy(() -> ConfigValues.builder(MODEL).set(URL, "u").set(MIN, Duration.ofSeconds(10)).build())
                .isInstanceOf(OutboxException.class)
                .hasMessage("demo.min must be <= demo.max (was 10s > 5s)");
        assertThatThrownBy(() -> ConfigValues.builder(MODEL).set(SIZE, 0))
                .isInstanceOf(OutboxException.class).hasMessage("demo.size must be between 1 and 100 (was 0)");
        assertThatThrownBy(() -> ConfigValues.builder(MODEL).build())
                .isInstanceOf(OutboxException.class).hasMessage("demo.url is required: Where to send.");
    }

    @Test
    void aSecretComesFromItsFileAndIsNeverShownNorQuotedInAProblem(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("pw");
        Files.writeString(file, "s3cret-from-file\n");
        ConfigValues values = ConfigReader.require(MODEL, Map.of("OUTBOX_DEMO_URL", "u",
                "OUTBOX_DEMO_PASSWORD_FILE", file.toString()));
        assertThat(values.get(PASSWORD)).isEqualTo("s3cret-from-file");
        assertThat(values.shown()).containsEntry("OUTBOX_DEMO_PASSWORD", "****");
        assertThat(values.toString()).doesNotContain("s3cret");
        assertThat(values.secrets()).contains("s3cret-from-file");

        List<String> problems = new ArrayList<>();
        ConfigReader.read(MODEL, Map.of("OUTBOX_DEMO_URL", "u", "OUTBOX_DEMO_PASSWORD", "short"), problems);
        assertThat(problems).containsExactly("OUTBOX_DEMO_PASSWORD must be at least 8 characters without blanks"
                + " (was \"****\")");
        problems.clear();
        ConfigReader.read(MODEL, Map.of("OUTBOX_DEMO_URL", "u", "OUTBOX_DEMO_PASSWORD", "long-enough",
                "OUTBOX_DEMO_PASSWORD_FILE", file.toString()), problems);
        assertThat(problems).containsExactly("OUTBOX_DEMO_PASSWORD and OUTBOX_DEMO_PASSWORD_FILE are both set: use one of them");
    }

    @Test
    void aRejectedRequiredValueIsReportedOnceNotAlsoAsMissing() {
        Setting<Integer> port = Setting.integer("demo.port", "OUTBOX_DEMO_PORT").required()
                .check(Setting.between(1, 65535)).description("Port.").build();
        List<String> problems = new ArrayList<>();
        ConfigReader.read(ConfigModel.of("demo", List.of(port)), Map.of("OUTBOX_DEMO_PORT", "x"), problems);
        assertThat(problems).containsExactly("OUTBOX_DEMO_PORT must be a whole number (was \"x\")");
    }

    @Test
    void didYouMeanSuggestsOnlyAClosekey() {
        assertThat(ConfigReader.closest("OUTBOX_DEMO_SIZ", MODEL.keys())).isEqualTo("OUTBOX_DEMO_SIZE");
        assertThat(ConfigReader.closest("OUTBOX_SOMETHING_ELSE_ENTIRELY", MODEL.keys())).isNull();
        assertThat(MODEL.keys()).contains("OUTBOX_DEMO_PASSWORD_FILE").doesNotContain("OUTBOX_DEMO_SIZE_FILE");
    }

    @Test
    void theDocsComeFromTheDeclarations() {
        assertThat(MODEL.markdownTable()).contains(
                "| `OUTBOX_DEMO_URL` | required | text | Where to send. |",
                "| `OUTBOX_DEMO_SIZE` | `10` | 1–100 | How many. |",
                "| `OUTBOX_DEMO_MODE` | `safe` | fast, safe | How. |",
                "| `OUTBOX_DEMO_PASSWORD` |  | at least 8 characters without blanks | The password. Secret: never shown;"
                        + " or from the file named by `OUTBOX_DEMO_PASSWORD_FILE`. |");
        assertThat(MODEL.helpText()).contains("OUTBOX_DEMO_MIN", "Shortest wait. (default 1s)",
                "[secret; or OUTBOX_DEMO_PASSWORD_FILE]");
    }

    @Test
    void aModelRefusesAKeyDeclaredTwice() {
        assertThatThrownBy(() -> ConfigModel.of("demo", List.of(SIZE, SIZE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("demo declares OUTBOX_DEMO_SIZE twice");
    }
}
