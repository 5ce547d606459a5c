package dev.outbox.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class RedactionTest {

    @Test
    void masksTheUserInfoOfEveryUrlInAText() {
        assertThat(Redaction.userInfo("Unable to connect to NATS servers: [nats://tok@h:2, nats://u:p@h:1]"))
                .isEqualTo("Unable to connect to NATS servers: [nats://****@h:2, nats://****@h:1]");
        assertThat(Redaction.userInfo("no url here, a@b")).isEqualTo("no url here, a@b");
    }

    @Test
    void masksTheQueryOfEveryUrlButKeepsItsPathAndFragment() {
        assertThat(Redaction.urls("to https://h.example/in?token=abc&x=1 and ftp://u:p@h/x?k=v#frag"))
                .isEqualTo("to https://h.example/in?**** and ftp://****@h/x?****#frag");
        assertThat(Redaction.urls("\"http://h/p?t=1\"")).isEqualTo("\"http://h/p?****\"");
    }

    @Test
    void scrubsSecretsOfThreeCharactersOrMoreAndUrls() {
        assertThat(Redaction.scrub("password s3cret, id 42, see http://h/?t=s3cret", List.of("s3cret", "42")))
                .isEqualTo("password ****, id 42, see http://h/?****");
        assertThat(Redaction.scrub(null, List.of("x"))).isNull();
    }

    @Test
    void copiesAnExceptionChainWithScrubbedMessagesTheOriginalClassNamesAndStackTraces() {
        IOException original = new IOException("login s3cret refused", new IllegalStateException("s3cret again"));
        UnaryOperator<String> scrub = Redaction.scrubber(List.of("s3cret"));

        Throwable copy = Redaction.copy(original, scrub);

        assertThat(copy.getMessage()).isEqualTo("java.io.IOException: login **** refused");
        assertThat(copy.getCause().getMessage()).isEqualTo("java.lang.IllegalStateException: **** again");
        assertThat(copy.getStackTrace()).isEqualTo(original.getStackTrace());
        java.io.StringWriter trace = new java.io.StringWriter();
        copy.printStackTrace(new java.io.PrintWriter(trace));
        assertThat(trace.toString()).contains("java.io.IOException: login **** refused")
                .doesNotContain("s3cret");
        assertThat(Redaction.copy(null, scrub)).isNull();
    }

    @Test
    void masksTheWholeUserInfoOfOneUrlUpToItsLastAt() {
        assertThat(Redaction.url("amqp://app:s3cret@rabbit:5672/v")).isEqualTo("amqp://****@rabbit:5672/v");
        // An unencoded @ in the password: userInfo() would stop at the first one and show "ss".
        assertThat(Redaction.url("amqp://app:p@ss@rabbit/")).isEqualTo("amqp://****@rabbit/");
        assertThat(Redaction.url("nats://t0ken@h:4222?x=secretvalue")).isEqualTo("nats://****@h:4222?****");
        assertThat(Redaction.url("amqp://rabbit:5672/")).isEqualTo("amqp://rabbit:5672/");
        assertThat(Redaction.url("127.0.0.1:4222")).isEqualTo("127.0.0.1:4222");
        assertThat(Redaction.url("a@b")).isEqualTo("a@b");
        assertThat(Redaction.url(null)).isNull();
    }

    @Test
    void findsTheValuesOfPasswordParametersToScrubThemElsewhere() {
        assertThat(Redaction.parameterValues("jdbc:postgresql://h/db?user=u&password=p%40ss&sslpassword=k3y&ssl=true"))
                .containsExactly("p%40ss", "k3y");
        assertThat(Redaction.parameterValues("jdbc:postgresql://h/db?password=&user=u")).isEmpty();
    }
}
