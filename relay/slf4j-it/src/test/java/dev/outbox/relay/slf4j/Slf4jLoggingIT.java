package dev.outbox.relay.slf4j;

import static dev.outbox.testing.Await.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.outbox.relay.Relay;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.testing.CapturedLogs;
import dev.outbox.relay.testing.RelayDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * An application with SLF4J and Logback embeds the relay: the relay's records reach Logback, with
 * their fields ({@code event_id}, {@code trace_id}, …) in the MDC while each record is logged, and
 * no longer {@code System.Logger} (java.util.logging here). Real PostgreSQL, real relay.
 */
class Slf4jLoggingIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();

    /** What Logback received, with a copy of the MDC as it was during the call. */
    record Received(Level level, String logger, String message, Map<String, String> mdc) {
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            received.add(new Received(event.getLevel(), event.getLoggerName(), event.getFormattedMessage(),
                    Map.copyOf(event.getMDCPropertyMap())));
        }
    };
    private final Logger project = (Logger) LoggerFactory.getLogger("dev.outbox");

    @BeforeEach
    void attachAppender() {
        appender.setContext(project.getLoggerContext());
        appender.start();
        project.addAppender(appender);
        project.setLevel(Level.DEBUG);
    }

    @AfterEach
    void detachAppender() {
        project.detachAppender(appender);
        appender.stop();
        project.setLevel(null);
    }

    @Test
    void theDeliveryFailureWarningReachesSlf4jWithTheEventAndTraceIdInTheMdc() {
        UUID id = UUID.randomUUID();
        FIXTURE.db().execute("INSERT INTO outbox.event (id, aggregatetype, aggregateid, type, payload, headers)"
                + " VALUES ('" + id + "', 'Order', 'o-1', 'OrderPlaced', '{\"secret\": \"s3cr3t\"}',"
                + " '{\"traceparent\": \"00-" + TRACE_ID + "-00f067aa0ba902b7-01\"}')");

        try (CapturedLogs systemLogger = CapturedLogs.start()) {
            Relay relay = FIXTURE.start(FIXTURE.sink("slf4j").failing(m -> TransportException.permanent("refused by the test", null)),
                    RelayDatabase.fast().maxNonRetryableAttempts(1).build());

            Received dead = awaitValue("the relay's warning in Logback", WAIT, () -> received.stream()
                    .filter(r -> r.message().startsWith("event dead after its last attempt")).findFirst().orElse(null));
            relay.close();

            assertThat(dead.level()).isEqualTo(Level.WARN);
            assertThat(dead.logger()).isEqualTo("dev.outbox.relay");
            assertThat(dead.mdc()).containsEntry("event_id", id.toString()).containsEntry("trace_id", TRACE_ID)
                    .containsEntry("type", "OrderPlaced").containsEntry("attempts", "1")
                    .containsKey("error");
            assertThat(dead.message()).as("the text as System.Logger has it, fields included")
                    .contains("event_id=" + id).contains("trace_id=" + TRACE_ID);
            assertThat(received).as("no payload in any record or MDC")
                    .noneMatch(r -> r.message().contains("s3cr3t") || r.mdc().toString().contains("s3cr3t"));
            Received released = awaitValue("the relay's last record", WAIT, () -> received.stream()
                    .filter(r -> r.message().startsWith("relay released its slots")).findFirst().orElse(null));
            assertThat(released.mdc()).as("the MDC of the relay's thread was restored after each call")
                    .containsOnlyKeys("instance");
            assertThat(systemLogger.text()).as("not logged twice").doesNotContain("event dead after its last attempt");
        }
    }
}
