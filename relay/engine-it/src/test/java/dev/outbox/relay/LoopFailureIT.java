package dev.outbox.relay;

import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.testing.CapturedLogs;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An unexpected error in the loop (a transport or driver bug) is logged with its stack, shows as
 * FAILING, rolls back the batch and is retried with backoff: the loop thread never dies silently.
 */
class LoopFailureIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;
    private CapturedLogs logs;

    @BeforeEach
    void setUp() {
        db = fixture.db();
        logs = CapturedLogs.start();
    }

    @AfterEach
    void tearDown() {
        logs.close();
    }

    private String log() {
        return logs.text();
    }

    @Test
    void aTransportBugOutsideTheSendCallIsLoggedShownAsFailingAndTheRelayCarriesOn() {
        AtomicBoolean buggy = new AtomicBoolean(true);
        SinkTransport sink = fixture.sink("r1");
        // A bug the relay meets on its own thread: a result list that breaks when read.
        Transport transport = batch -> buggy.get() ? brokenResults(batch) : sink.send(batch);
        Events.insert(db, 50, 5, "OrderPlaced");
        Relay relay = fixture.start(Relay.builder(fixture.relayRole(), transport).config(RelayDatabase.fast()
                .backoffBase(Duration.ofMillis(50)).backoffCap(Duration.ofMillis(400)).build()));

        await("the relay shows it is failing", WAIT, () -> relay.stats().state().phase() == RelayState.Phase.FAILING);
        assertThat(relay.stats().state().lastError()).contains("IllegalStateException", "result list broken");
        assertThat(relay.stats().ready()).isFalse();
        await("the loop retried after backing off", WAIT, () -> log().split("ERROR dev.outbox.relay - relay loop failed",
                -1).length > 2);
        assertThat(log()).as("logged at ERROR with its stack").contains(
                "ERROR dev.outbox.relay - relay loop failed",
                "java.lang.IllegalStateException: transport bug: result list broken\n\tat ");
        assertThat(db.queryLong("SELECT (SELECT count(*) FROM outbox.event WHERE attempts > 0) + (SELECT count(*) FROM outbox.event_history)"))
                .as("the failed batch was rolled back: nothing marked or charged").isZero();

        buggy.set(false);
        awaitAllPublished(db, WAIT);
        await("running again", WAIT, () -> relay.stats().ready());
        assertThat(relay.stats().state().lastError()).isNull();
        assertThat(Events.received(db).keysOutOfOrder()).isEmpty();
    }

    @Test
    void aRuntimeExceptionFromTheDriverIsSurvived() {
        AtomicBoolean broken = new AtomicBoolean(false);
        DataSource flaky = breakingWhile(fixture.relayRole(), broken);
        Relay relay = fixture.start(Relay.builder(flaky, fixture.sink("r1")).config(RelayDatabase.fast()
                .backoffBase(Duration.ofMillis(50)).backoffCap(Duration.ofMillis(400)).build()));
        await("ready", WAIT, () -> relay.stats().ready());

        broken.set(true);
        await("the relay shows it is failing", WAIT, () -> relay.stats().state().phase() == RelayState.Phase.FAILING);
        assertThat(relay.stats().state().lastError()).contains("UnsupportedOperationException");
        // The state changes just before the line is logged: wait for the line.
        await("logged with its stack", WAIT, () -> log().contains(
                "java.lang.UnsupportedOperationException: driver bug: statement cache corrupted\n\tat "));
        broken.set(false);

        Events.insert(db, 30, 3, "OrderPlaced");
        awaitAllPublished(db, WAIT);
        assertThat(Events.received(db).distinct()).isEqualTo(30);
        await("ready again", WAIT, () -> relay.stats().ready());
    }

    private static List<SendResult> brokenResults(List<OutboxMessage> batch) {
        return new AbstractList<>() {
            @Override
            public SendResult get(int index) {
                throw new IllegalStateException("transport bug: result list broken");
            }

            @Override
            public int size() {
                return batch.size();
            }
        };
    }

    /**
     * Connections of {@code dataSource} whose statements throw an unchecked exception (as a
     * buggy driver or pool wrapper might) while {@code broken} is set.
     */
    private static DataSource breakingWhile(DataSource dataSource, AtomicBoolean broken) {
        return (DataSource) Proxy.newProxyInstance(LoopFailureIT.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object result = invoke(method, dataSource, args);
                    if (method.getName().equals("getConnection")) {
                        Connection real = (Connection) result;
                        return Proxy.newProxyInstance(LoopFailureIT.class.getClassLoader(),
                                new Class<?>[] {Connection.class}, (p, m, a) -> {
                                    if (broken.get() && m.getName().startsWith("prepare")) {
                                        throw new UnsupportedOperationException("driver bug: statement cache corrupted");
                                    }
                                    return invoke(m, real, a);
                                });
                    }
                    return result;
                });
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
