package dev.outbox.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionPasswordOptionsTest {

    @Test
    void masksPasswordOptionsQuotedOrNotWithBlanksAroundTheEqualsSign() {
        assertThat(Redaction.passwordOptions("PlainLoginModule required username=\"u\" password=\"s3 cr3t\";"))
                .isEqualTo("PlainLoginModule required username=\"u\" password=****;");
        assertThat(Redaction.passwordOptions("ScramLoginModule required password = 's3cr3t' user=x"))
                .isEqualTo("ScramLoginModule required password = **** user=x");
        assertThat(Redaction.passwordOptions("ssl.key.password=s3cr3t; Password=\"unterminated"))
                .isEqualTo("ssl.key.password=****; Password=****");
    }

    @Test
    void leavesTextWithoutPasswordOptionsAlone() {
        assertThat(Redaction.passwordOptions("invalid password for user u")).isEqualTo("invalid password for user u");
        assertThat(Redaction.passwordOptions(null)).isNull();
    }
}
