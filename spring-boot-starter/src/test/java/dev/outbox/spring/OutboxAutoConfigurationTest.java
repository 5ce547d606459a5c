package dev.outbox.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.core.Outbox;
import dev.outbox.relay.Relay;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.transport.log.LogTransport;
import dev.outbox.spring.autoconfigure.OutboxAutoConfiguration;
import dev.outbox.spring.autoconfigure.OutboxRelayAutoConfiguration;
import dev.outbox.spring.internal.SpringConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * What the auto-configuration creates and how it refuses bad {@code outbox.*} properties: every
 * message names the Spring key the user wrote, the rule and the value (never a secret's). No
 * context here starts a relay, so no database is needed.
 */
class OutboxAutoConfigurationTest {
    private static final String SECRET = "S3CRET-MARKER-7f1";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OutboxAutoConfiguration.class, OutboxRelayAutoConfiguration.class))
            .withBean(DataSource.class, PGSimpleDataSource::new);

    @Test
    void theWriterAndInboxAreThereAndTheRelayIsOffUnlessEnabled() {
        runner.withPropertyValues("outbox.schema=orders_outbox").run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(TransactionalOutbox.class)
                    .hasSingleBean(TransactionalInbox.class).doesNotHaveBean(Relay.class);
            assertThat(context.getBean(Outbox.class).schema()).isEqualTo("orders_outbox");
        });
    }

    @Test
    void aRelaySettingIsReadThroughTheModelUnderItsSpringNameInAnyRelaxedForm() {
        for (String key : new String[] {"outbox.relay.batch-size", "outbox.relay.batchSize", "outbox.relay.batchsize"}) {
            runner.withPropertyValues("outbox.relay.enabled=true", key + "=0").withBean(Transport.class, () -> new LogTransport(System.out))
                    .run(context -> assertThat(failure(context)).as(key)
                            .contains("outbox.relay.batch-size must be between 1 and").contains("(was 0)")
                            .doesNotContain("OUTBOX_BATCH_SIZE"));
        }
        // Read with the relay off: a context that makes a relay also starts it, which needs a database.
        runner.withPropertyValues("outbox.relay.batch-size=42").run(context -> assertThat(
                context.getBean(SpringConfig.class).relayConfig().batchSize()).isEqualTo(42));
    }

    @Test
    void aRuleBetweenSettingsNamesBothSpringKeys() {
        runner.withPropertyValues("outbox.relay.enabled=true", "outbox.relay.backoff-base=10m", "outbox.relay.backoff-cap=1m")
                .withBean(Transport.class, () -> new LogTransport(System.out))
                .run(context -> assertThat(failure(context))
                        .contains("outbox.relay.backoff-base must be <= outbox.relay.backoff-cap (was 10m > 1m)"));
    }

    @Test
    void anUndeclaredKeyIsRefusedWithTheClosestOneEvenWhileTheRelayIsOff() {
        runner.withPropertyValues("outbox.relay.bach-size=5").run(context -> assertThat(failure(context))
                .contains("outbox.relay.bach-size is not a setting of the outbox starter")
                .contains("did you mean outbox.relay.batch-size?"));
        runner.withPropertyValues("outbox.relay.enabeld=true").run(context -> assertThat(failure(context))
                .contains("did you mean outbox.relay.enabled?"));
    }

    @Test
    void anInvalidSchemaIsRefused() {
        runner.withPropertyValues("outbox.schema=Orders; DROP").run(context -> assertThat(failure(context))
                .contains("outbox.schema"));
    }

    @Test
    void theRelayNeedsATransportByNameOrAsABean() {
        runner.withPropertyValues("outbox.relay.enabled=true").run(context -> assertThat(failure(context))
                .contains("outbox.transport.name is required when outbox.relay.enabled is true")
                .contains("kafka").contains("rabbitmq"));
        runner.withPropertyValues("outbox.relay.enabled=true", "outbox.transport.name=rabbit").run(context ->
                assertThat(failure(context)).contains("outbox.transport.name must be one of the transports on the class path")
                        .contains("(was \"rabbit\"); did you mean rabbitmq?"));
        runner.withPropertyValues("outbox.relay.enabled=true", "outbox.transport.name=rabbitmq")
                .withBean(Transport.class, () -> new LogTransport(System.out))
                .run(context -> assertThat(failure(context)).contains("defines a Transport bean and sets outbox.transport.*"));
    }

    @Test
    void aTransportIsConfiguredByItsSettingsAndAnInvalidSecretIsNeverShown() {
        runner.withPropertyValues("outbox.relay.enabled=true", "outbox.transport.name=rabbitmq",
                        "outbox.transport.rabbitmq.uri=amqp://user:" + SECRET + "@127.0.0.1:notaport/")
                .run(context -> assertThat(failure(context)).contains("outbox.transport.rabbitmq.uri")
                        .doesNotContain(SECRET).doesNotContain("OUTBOX_RABBITMQ_URI"));
        runner.withPropertyValues("outbox.relay.enabled=true", "outbox.transport.name=rabbitmq",
                        "outbox.transport.rabbitmq.uri=amqp://user:" + SECRET + "@127.0.0.1:5672/",
                        "outbox.transport.rabbitmq.confirm-timeout=0s")
                .run(context -> assertThat(failure(context))
                        .contains("outbox.transport.rabbitmq.confirm-timeout must be between").doesNotContain(SECRET));
        runner.withPropertyValues("outbox.relay.enabled=true", "outbox.transport.name=rabbitmq")
                .run(context -> assertThat(failure(context)).contains("outbox.transport.rabbitmq.uri is required"));
    }

    /** The startup failure with its causes and stack, as a log would print it. */
    private static String failure(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        StringWriter text = new StringWriter();
        context.getStartupFailure().printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
