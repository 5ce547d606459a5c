package dev.outbox.relay.transport.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.testing.CapturedLogs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NatsTransportFactoryTest {

    private static NatsSettings settings(Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(Map.of("OUTBOX_NATS_URL", "nats://127.0.0.1:4222"));
        config.putAll(extra);
        return NatsSettings.from(ConfigReader.require(NatsSettings.MODEL, config));
    }

    @Test
    void appliesDefaults() {
        NatsSettings s = settings(Map.of("OUTBOX_NATS_URL", "nats://a:4222, tls://b:4443"));
        assertThat(s.servers()).containsExactly("nats://a:4222", "tls://b:4443");
        assertThat(s.ackTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.source()).isEqualTo("/outbox");
        assertThat(s.credentialsFile()).isNull();
        assertThat(s.token()).isNull();
    }

    @Test
    void rejectsServerUrlsItCannotUseWithoutShowingPasswords() {
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_URL", "http://u:s3cret@host:4222")))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("OUTBOX_NATS_URL must contain URLs of the form scheme://host[:port]")
                .hasMessageContaining("http://****@host:4222")
                .hasMessageNotContaining("s3cret");
        // The URL is secret: a value without user info, quoted whole, is masked whole by the reader.
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_URL", "127.0.0.1:4222")))
                .hasMessageContaining("OUTBOX_NATS_URL must contain URLs").hasMessageContaining("(was \"****\")");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_URL", "nats://a:4222,127.0.0.1:4222")))
                .hasMessageContaining("OUTBOX_NATS_URL").hasMessageContaining("(was \"127.0.0.1:4222\")");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_URL", "nats://u:p@ss@host:4222")))
                .hasMessageContaining("(was \"nats://****@host:4222\")").hasMessageNotContaining("ss@");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_URL", "nats://a:4222,,nats://b:4222")))
                .hasMessageContaining("without empty entries");
    }

    @Test
    void rejectsAnAckTimeoutThatIsNotPositiveOrTooLong() {
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_ACK_TIMEOUT", "0s")))
                .hasMessage("OUTBOX_NATS_ACK_TIMEOUT must be between 1ms and 10m (was 0ms)");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_ACK_TIMEOUT", "1h")))
                .hasMessageContaining("(was 1h)");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_ACK_TIMEOUT", "soon")))
                .hasMessageContaining("OUTBOX_NATS_ACK_TIMEOUT must be a duration");
        assertThat(settings(Map.of("OUTBOX_NATS_ACK_TIMEOUT", "750ms")).ackTimeout()).isEqualTo(Duration.ofMillis(750));
    }

    @Test
    void checksCredentialsAndNeverShowsTheToken(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_CREDENTIALS_FILE", dir.resolve("missing.creds").toString())))
                .hasMessageContaining("OUTBOX_NATS_CREDENTIALS_FILE must name a readable NATS .creds file")
                .hasMessageContaining("missing.creds");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_NATS_TOKEN", "  ")))
                .hasMessage("OUTBOX_NATS_TOKEN must not be blank when set");

        Path creds = Files.writeString(dir.resolve("relay.creds"), "-----BEGIN NATS USER JWT-----\n");
        NatsSettings s = settings(Map.of("OUTBOX_NATS_CREDENTIALS_FILE", creds.toString(), "OUTBOX_NATS_TOKEN", "t0ken",
                "OUTBOX_NATS_URL", "nats://user:pa55@host:4222"));
        assertThat(s.credentialsFile()).isEqualTo(creds);
        assertThat(s.token()).isEqualTo("t0ken");
        assertThat(s.toString()).doesNotContain("t0ken").doesNotContain("pa55").contains("token=****");
    }

    @Test
    void validatesRoutesAndSource() {
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_ROUTES", "Order")))
                .hasMessageContaining("OUTBOX_ROUTES must be comma-separated");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_CLOUDEVENTS_SOURCE", " ")))
                .hasMessageContaining("OUTBOX_CLOUDEVENTS_SOURCE must be a non-empty URI-reference");
        assertThatThrownBy(() -> settings(Map.of("OUTBOX_CLOUDEVENTS_SOURCE", "a b")))
                .hasMessageContaining("(was \"a b\")");
    }

    @Test
    void classifiesNoRespondersAsPermanentAndLostPublishesAsOutages() {
        TransportException noStream = NatsTransport.failure(new ExecutionException(new RuntimeException(
                new IOException("Error Publishing: 503 No Responders Available For Request"))), UnaryOperator.identity());
        assertThat(noStream.retryable()).isFalse();
        assertThat(noStream.getMessage()).contains("no JetStream stream captures the subject");

        assertThat(NatsTransport.failure(new CancellationException(), UnaryOperator.identity()).outage()).isTrue();
        assertThat(NatsTransport.failure(new ExecutionException(new IOException("Stream closed")),
                UnaryOperator.identity()).outage()).isTrue();
    }

    /**
     * Secrets in the URL (user, password, token) and in OUTBOX_NATS_TOKEN never show: not in the
     * settings, nor in the error of a server that cannot be reached (jnats quotes the URLs), its
     * causes' stack traces or the log.
     */
    @Test
    void noSecretOfTheUrlOrTokenShowsInSettingsErrorsStackTracesOrLogs() {
        List<String> markers = List.of("Us3rMark", "Pa55Mark", "T0kenUrlMark", "T0kenKeyMark");
        Map<String, String> config = Map.of("OUTBOX_NATS_URL",
                "nats://Us3rMark:Pa55Mark@127.0.0.1:1,nats://T0kenUrlMark@127.0.0.1:2",
                "OUTBOX_NATS_TOKEN", "T0kenKeyMark", "OUTBOX_NATS_ACK_TIMEOUT", "1s");
        StringBuilder shown = new StringBuilder(settings(config).toString());
        try (CapturedLogs logs = CapturedLogs.start();
             var transport = new NatsTransportFactory().create(ConfigReader.require(NatsSettings.MODEL, config))) {
            Throwable thrown = catchThrowable(() -> transport.send(List.of(new dev.outbox.relay.spi.OutboxMessage(
                    java.util.UUID.randomUUID(), 1, "Order", "o-1", "OrderPlaced", "{}", Map.of(),
                    java.time.Instant.now(), 1))));
            assertThat(thrown).isInstanceOfSatisfying(TransportException.class, e -> assertThat(e.outage()).isTrue());
            shown.append(thrown.getMessage()).append(thrown).append(CapturedLogs.stackTrace(thrown));
            assertThat(logs.text()).as("the log was captured").contains("NATS not reachable yet");
            shown.append(logs.text());
        }
        assertThat(shown.toString()).contains("cannot connect to NATS", "****@127.0.0.1:1");
        markers.forEach(marker -> assertThat(shown.toString()).doesNotContain(marker));
    }
}
