package dev.outbox.relay.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookVerifierTest {
    // The Standard Webhooks specification's published test vector.
    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    static final long TIMESTAMP = 1614265330;
    static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    static final String SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private final Clock atVector = Clock.fixed(Instant.ofEpochSecond(TIMESTAMP), ZoneOffset.UTC);

    @Test
    void theSignerReproducesTheSpecificationTestVector() {
        WebhookSigner signer = new WebhookSigner(WebhookSettings.keys(SECRET));

        assertThat(signer.sign(ID, TIMESTAMP, BODY)).isEqualTo(SIGNATURE);
    }

    @Test
    void theVerifierAcceptsTheSpecificationTestVectorWithOrWithoutPrefix() {
        assertThatCode(() -> verifier(SECRET).verify(ID, "1614265330", SIGNATURE, BODY)).doesNotThrowAnyException();
        assertThatCode(() -> verifier(SECRET.substring(6)).verify(ID, "1614265330", SIGNATURE, BODY))
                .doesNotThrowAnyException();
    }

    @Test
    void acceptsWhenAnyEntryMatchesAnySecret() {
        String other = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
        WebhookVerifier verifier = WebhookVerifier.of(List.of(other, SECRET), Duration.ofMinutes(5), atVector);

        assertThatCode(() -> verifier.verify(ID, "1614265330", "v2,abc v1,bm9wZQ== " + SIGNATURE, BODY))
                .doesNotThrowAnyException();
    }

    @Test
    void rejectsAWrongSignatureOrAChangedBody() {
        assertThatThrownBy(() -> verifier(SECRET).verify(ID, "1614265330", "v1,bm9wZQ==", BODY))
                .isInstanceOf(WebhookVerifier.VerificationException.class).hasMessageContaining("does not match");
        byte[] changed = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> verifier(SECRET).verify(ID, "1614265330", SIGNATURE, changed))
                .isInstanceOf(WebhookVerifier.VerificationException.class);
        assertThatThrownBy(() -> verifier(SECRET).verify("msg_other", "1614265330", SIGNATURE, BODY))
                .isInstanceOf(WebhookVerifier.VerificationException.class);
    }

    @Test
    void rejectsATimestampOutsideTheTolerance() {
        WebhookVerifier sixMinutesLater = WebhookVerifier.of(List.of(SECRET), WebhookVerifier.DEFAULT_TOLERANCE,
                Clock.offset(atVector, Duration.ofMinutes(6)));
        WebhookVerifier sixMinutesEarlier = WebhookVerifier.of(List.of(SECRET), WebhookVerifier.DEFAULT_TOLERANCE,
                Clock.offset(atVector, Duration.ofMinutes(-6)));

        assertThatThrownBy(() -> sixMinutesLater.verify(ID, "1614265330", SIGNATURE, BODY))
                .isInstanceOf(WebhookVerifier.VerificationException.class).hasMessageContaining("webhook-timestamp");
        assertThatThrownBy(() -> sixMinutesEarlier.verify(ID, "1614265330", SIGNATURE, BODY))
                .isInstanceOf(WebhookVerifier.VerificationException.class);
        assertThatThrownBy(() -> verifier(SECRET).verify(ID, "yesterday", SIGNATURE, BODY))
                .isInstanceOf(WebhookVerifier.VerificationException.class).hasMessageContaining("Unix seconds");
    }

    @Test
    void rejectsMissingHeadersNamingTheHeader() {
        assertThatThrownBy(() -> verifier(SECRET).verify(null, "1614265330", SIGNATURE, BODY))
                .hasMessage("missing webhook-id header");
        assertThatThrownBy(() -> verifier(SECRET).verify(ID, " ", SIGNATURE, BODY))
                .hasMessage("missing webhook-timestamp header");
        assertThatThrownBy(() -> verifier(SECRET).verify(ID, "1614265330", null, BODY))
                .hasMessage("missing webhook-signature header");
        assertThatThrownBy(() -> verifier(SECRET).verify(ID, "1614265330", "v2,abc", BODY))
                .hasMessageContaining("no v1,");
    }

    @Test
    void refusesSecretsThatAreNotBase64WithoutShowingThem() {
        assertThatThrownBy(() -> WebhookVerifier.of(List.of("whsec_not*base64!")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("not*base64");
        assertThatThrownBy(() -> WebhookVerifier.of(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    private WebhookVerifier verifier(String secret) {
        return WebhookVerifier.of(List.of(secret), Duration.ofMinutes(5), atVector);
    }
}
