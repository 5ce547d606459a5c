package dev.outbox.relay.ops;

import static dev.outbox.testing.Await.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayState.Phase;
import dev.outbox.relay.sidecar.Main;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each relay's own state (running, transport paused since …, last error …) is visible to
 * {@code relay status} in another process: {@link Operations#status()} here runs on a data source
 * of its own, so it sees only what the relays wrote to the database.
 */
class RelayStateStatusIT {
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();

    /** Operator connections, separate from the relays' (as outbox_relay, as the CLI runs). */
    private static Operations operator() {
        DataSource own = Events.relayRoleDataSource(FIXTURE.db());
        return Operations.create(own, "outbox");
    }

    /** {@code relay …} run in-process as an operator would (role outbox_relay); its standard output. */
    private static String cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(args, Map.of("OUTBOX_JDBC_URL", FIXTURE.db().jdbcUrl() + "&options=-c%20role%3Doutbox_relay"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static StatusReport.RelayInstance only(StatusReport status, String name) {
        List<StatusReport.RelayInstance> named = status.instances().stream().filter(i -> i.name().equals(name)).toList();
        return named.size() == 1 ? named.get(0) : null;
    }

    private static StatusReport.RelayInstance awaitPhase(Operations ops, String name, Phase phase) {
        return awaitValue(name + " shown as " + phase + " by status", DEADLINE, () -> {
            StatusReport.RelayInstance i = only(ops.status(), name);
            return i != null && i.state() != null && i.state().phase() == phase ? i : null;
        });
    }

    @Test
    void statusFromAnotherConnectionShowsATransportOutageWithItsErrorAndRunningOnceItRecovers() {
        TestDatabase db = FIXTURE.db();
        SinkTransport sink = FIXTURE.sink("a");
        Relay relay = FIXTURE.start(sink, RelayDatabase.fast().instanceName("state-a").build());
        Operations ops = operator();
        awaitPhase(ops, "state-a", Phase.RUNNING);

        sink.failingBatches(TransportException.outage("broker 127.0.0.1:9 did not answer (connection refused)", null));
        Events.insert(db, 20, 5, "OrderPlaced");

        StatusReport.RelayInstance paused = awaitPhase(ops, "state-a", Phase.TRANSPORT_PAUSED);
        assertThat(paused.state().lastError()).contains("broker 127.0.0.1:9 did not answer (connection refused)");
        // The database keeps microseconds.
        assertThat(paused.state().since()).isCloseTo(relay.stats().state().since(), within(1, ChronoUnit.MILLIS));
        assertThat(paused.describeState()).matches("transport paused since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ,"
                + " last error: .*connection refused.*");
        assertThat(ops.status().renderJson()).contains("\"phase\":\"TRANSPORT_PAUSED\"")
                .contains("\"description\":\"transport paused since ");
        // The CLI, a process of its own in production, shows it too.
        assertThat(cli("status")).containsPattern("state-a +\\d+ .* transport paused since .*, last error: .*"
                + "connection refused");
        assertThat(cli("status", "--json")).contains("\"phase\":\"TRANSPORT_PAUSED\"");
        assertThat(db.queryLong("SELECT (SELECT count(*) FROM outbox.event WHERE attempts > 0) + (SELECT count(*) FROM outbox.event_history)"))
                .as("an outage charges and marks nothing").isZero();

        sink.failingBatches(null);

        StatusReport.RelayInstance running = awaitPhase(ops, "state-a", Phase.RUNNING);
        assertThat(running.state().lastError()).isNull();
        assertThat(running.describeState()).startsWith("running since ");
        Events.awaitAllPublished(db, DEADLINE);
    }

    @Test
    void killedRelaySessionDisappearsFromStatusAndTheRelayShowsUpAgainUnderItsNewSession() {
        TestDatabase db = FIXTURE.db();
        Relay relay = FIXTURE.start(FIXTURE.sink("k"), RelayDatabase.fast().instanceName("state-k").build());
        Operations ops = operator();
        int killed = awaitPhase(ops, "state-k", Phase.RUNNING).pid();

        assertThat(db.queryString("SELECT pg_terminate_backend(" + killed + ")::text")).isEqualTo("true");

        StatusReport.RelayInstance again = awaitValue("the relay back under a new session", DEADLINE, () -> {
            StatusReport s = ops.status();
            StatusReport.RelayInstance i = only(s, "state-k");
            boolean killedGone = s.instances().stream().noneMatch(x -> x.pid() == killed);
            return killedGone && i != null && i.state() != null && i.state().phase() == Phase.RUNNING ? i : null;
        });
        assertThat(again.pid()).isNotEqualTo(killed);
        assertThat(relay.stats().state().phase()).isEqualTo(Phase.RUNNING);
        // The new session deleted the row the killed one left behind.
        assertThat(db.queryLong("SELECT count(*) FROM outbox.relay_instance WHERE pid = " + killed)).isZero();
    }

    @Test
    void rowsOfSessionsThatAreNotLiveRelaysAreIgnoredByStatusAndDeletedByTheNextRelay() throws Exception {
        TestDatabase db = FIXTURE.db();
        try (var other = db.connect(); var s = other.createStatement()) {
            // A row under a pid no backend has, and one under a live session that is not a relay
            // (a crashed relay's pid reused by another client).
            s.execute("INSERT INTO outbox.relay_instance (pid, name, phase, since, last_error) VALUES"
                    + " (2147483000, 'ghost', 'TRANSPORT_PAUSED', now(), 'old'),"
                    + " (pg_backend_pid(), 'reused', 'FAILING', now(), 'old')");
            Operations ops = operator();
            assertThat(ops.status().instances()).isEmpty();

            FIXTURE.start(FIXTURE.sink("c"), RelayDatabase.fast().instanceName("state-c").build());

            awaitPhase(ops, "state-c", Phase.RUNNING);
            assertThat(ops.status().instances()).extracting(StatusReport.RelayInstance::name).containsExactly("state-c");
            assertThat(db.queryString("SELECT string_agg(name, ',') FROM outbox.relay_instance")).isEqualTo("state-c");
        }
    }

    @Test
    void stateIsWrittenOnlyWhenItChangesNeverPerBatch() {
        TestDatabase db = FIXTURE.db();
        List<String> statements = new CopyOnWriteArrayList<>();
        Relay relay = FIXTURE.start(Relay.builder(recording(FIXTURE.relayRole(), statements), FIXTURE.sink("b"))
                .config(RelayDatabase.fast().batchSize(10).instanceName("state-b").build()));
        int pid = awaitPhase(operator(), "state-b", Phase.RUNNING).pid();
        // xmin changes with every UPDATE of the row (also an UPDATE to the same values).
        String version = db.queryString("SELECT xmin::text FROM outbox.relay_instance WHERE pid = " + pid);
        long registryStatements = statements.stream().filter(q -> q.contains("relay_instance")).count();
        int statementsBefore = statements.size();
        long batchesBefore = relay.stats().batches();

        Events.insert(db, 500, 50, "OrderPlaced");
        Events.awaitAllPublished(db, DEADLINE);

        long batches = relay.stats().batches() - batchesBefore;
        assertThat(batches).isGreaterThanOrEqualTo(50);
        assertThat(db.queryString("SELECT xmin::text FROM outbox.relay_instance WHERE pid = " + pid)).isEqualTo(version);
        assertThat(statements.stream().filter(q -> q.contains("relay_instance")).count())
                .as("statements on relay_instance while delivering").isEqualTo(registryStatements);
        System.out.printf("RelayStateStatusIT: %d batches, %d statements prepared on the relay's session (%.1f per batch),"
                + " none on relay_instance%n", batches, statements.size() - statementsBefore,
                (statements.size() - statementsBefore) / (double) batches);
    }

    /** The data source, recording the SQL of every statement its connections prepare. */
    private static DataSource recording(DataSource target, List<String> statements) {
        return (DataSource) Proxy.newProxyInstance(RelayStateStatusIT.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(target, method, args);
                    if (!method.getName().equals("getConnection")) {
                        return result;
                    }
                    Connection real = (Connection) result;
                    return Proxy.newProxyInstance(RelayStateStatusIT.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (p, m, a) -> {
                                if (m.getName().equals("prepareStatement")) {
                                    statements.add((String) a[0]);
                                }
                                return invoke(real, m, a);
                            });
                });
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void aRelayStoppedCleanlyDeletesItsRow() {
        TestDatabase db = FIXTURE.db();
        Relay relay = FIXTURE.start(FIXTURE.sink("s"), RelayDatabase.fast().instanceName("state-s").build());
        awaitPhase(operator(), "state-s", Phase.RUNNING);

        relay.close();

        assertThat(db.queryLong("SELECT count(*) FROM outbox.relay_instance")).isZero();
    }
}
