package dev.outbox.relay.testing;

import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.RelayState;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.testing.ClosingProxy;
import dev.outbox.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * "A broker stopped and restarted mid-drain loses nothing", against a {@link PrivateEmulator} of
 * the test's own: a real relay (in-process, real database) drains a backlog over many keys, the
 * emulator is killed with SIGKILL mid-drain, and started again on the same port.
 *
 * <p>While it is down the relay must be {@link RelayState.Phase#TRANSPORT_PAUSED}, mark nothing
 * more, charge no attempt and let nothing go dead (checked after it tried again several times).
 * After the restart every event must end up published with 0 attempts and none dead.
 *
 * <p><b>Accounting at the consumer.</b> An independent consumer reads the destination all along.
 * What the emulator acknowledged is stored only in its memory, so what happens to the events it
 * acknowledged but nobody had read yet when it died depends on whether the subclass can bring the
 * emulator's state back ({@link #recover} says so):
 * <ul>
 *   <li>state brought back (moto: its request recording replayed) → literally nothing is lost:
 *       every event arrives at least once. Duplicates are allowed (at-least-once): the replay
 *       hands out again what was read before the kill, and the relay sends again what was in
 *       flight.</li>
 *   <li>state lost (the Pub/Sub emulator keeps nothing across a restart) → the events it
 *       acknowledged before dying and nobody read are gone with it, as they would be with a broker
 *       that acknowledges before storing durably. The relay's part is still checked exactly: every
 *       event that was not marked published when the emulator came back (so was sent after the
 *       restart, or again) must arrive, and every event that did not arrive must have been marked
 *       before the restart, that is acknowledged by the emulator that died.</li>
 * </ul>
 * Where the broker keeps per-key order ({@link #keepsPerKeyOrder}), the events of a key first
 * arrive in write order within each life of the emulator (redeliveries are not checked again);
 * across the restart a replay starts over from the beginning of its log.
 *
 * <p>The transport reaches the emulator through a {@link ClosingProxy}, which is open through the
 * kill (the relay sees its connections die) and closed from the restart until the destinations
 * exist again: a real broker comes back with its topics and queues, an emulator comes back empty,
 * and a relay that raced their re-creation would be told "no such topic", a refusal that is
 * charged to the events.
 */
public abstract class EmulatorRestartContract {
    protected static final Duration WAIT = Duration.ofSeconds(90);

    @RegisterExtension
    final RelayDatabase database = new RelayDatabase();

    protected PrivateEmulator emulator;
    protected ClosingProxy proxy;
    protected String aggregateType;

    /** Starts the test's own emulator. */
    protected abstract PrivateEmulator startEmulator();

    /** The factory of the transport under test. */
    protected abstract TransportFactory factory();

    /** The transport's configuration for destinations of {@code aggregateType} at {@code address} ({@code 127.0.0.1:port}, the proxy). */
    protected abstract Map<String, String> config(String aggregateType, String address);

    /** Creates the destination of {@code aggregateType} on the fresh emulator and starts a consumer reading it continuously. */
    protected abstract void createDestinationAndConsume(String aggregateType) throws Exception;

    /**
     * After the restart, before the relay can reach the emulator again: brings the destination
     * back (and the consumer, if it needs to start over); returns whether what the emulator had
     * stored before the kill was brought back too.
     */
    protected abstract boolean recover(String aggregateType) throws Exception;

    /** The event ids ({@code ce-id}) the consumer received so far, in arrival order, repetitions included. */
    protected abstract List<String> received() throws Exception;

    /** Whether the destination delivers the events of a key in the order they were sent. */
    protected abstract boolean keepsPerKeyOrder();

    /** Stops the consumer; the emulator and the proxy are closed by this class. */
    protected abstract void cleanUp() throws Exception;

    /** How many events the backlog holds; lower where the emulator cannot take them within the test's bound (say why). */
    protected int events() {
        return 3_000;
    }

    /** Over how many keys. */
    protected int keys() {
        return 100;
    }

    /**
     * The relay's configuration: short intervals, batches of 200, transport pauses of at most
     * 0.5 s (so that it tries the dead emulator often), a send timeout of 20 s above the
     * transports' own timeouts.
     */
    protected RelayConfig.Builder relayConfig() {
        return RelayDatabase.fast().batchSize(200).backoffBase(Duration.ofMillis(20)).backoffCap(Duration.ofMillis(500))
                .sendTimeout(Duration.ofSeconds(20));
    }

    /** The transport name for the summary line. */
    protected String name() {
        return factory().name();
    }

    @BeforeEach
    void startEmulatorAndDestination() throws Exception {
        aggregateType = "R" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        emulator = startEmulator();
        proxy = ClosingProxy.to("127.0.0.1", emulator.port());
        createDestinationAndConsume(aggregateType);
    }

    @AfterEach
    void stopEverything() throws Exception {
        try {
            cleanUp();
        } finally {
            try {
                if (proxy != null) {
                    proxy.close();
                }
            } finally {
                if (emulator != null) {
                    emulator.close();
                }
            }
        }
    }

    @Test
    void anEmulatorKilledMidDrainAndRestartedLosesNothingTheRelayWasResponsibleFor() throws Exception {
        TestDatabase db = database.db();
        long started = System.nanoTime();
        write(db);
        Transport transport = factory().create(ConfigReader.require(factory().config(),
                config(aggregateType, proxy.address())));
        Relay relay = database.start(transport, relayConfig().build());

        await("a quarter of the backlog published (mid-drain)", WAIT, () -> published(db) >= events() / 4);
        emulator.kill();
        double killedAt = seconds(started);
        long markedAtKill = published(db);

        await("the relay paused on the outage", WAIT, () -> phase(relay) == RelayState.Phase.TRANSPORT_PAUSED);
        long errors = relay.stats().transportErrors();
        // What the batch in flight at the kill had acknowledged is marked by now: from here on, nothing may be.
        await("the relay tried the emulator again", WAIT, () -> relay.stats().transportErrors() > errors);
        long marked = published(db);
        await("the relay tried the dead emulator once more", WAIT,
                () -> relay.stats().transportErrors() >= errors + 2);
        assertThat(published(db)).as("marked while the emulator was down").isEqualTo(marked);
        assertThat(phase(relay)).isEqualTo(RelayState.Phase.TRANSPORT_PAUSED);
        assertNothingChargedOrDead(db);
        assertThat(marked).as("the kill came mid-drain").isLessThan(events());

        Set<String> markedBeforeRestart = publishedIds(db);
        int arrivedBeforeRestart = received().size();
        proxy.close();
        double restartedAt = seconds(started);
        emulator.restart();
        boolean stateKept = recover(aggregateType);
        proxy.open();
        double recoveredAt = seconds(started);

        awaitAllPublished(db, WAIT);
        double allPublishedAt = seconds(started);
        assertNothingChargedOrDead(db);
        Set<String> all = allIds(db);
        Set<String> owed = new HashSet<>(all);
        if (!stateKept) {
            owed.removeAll(markedBeforeRestart);
        }
        await((stateKept ? "every event" : "every event not marked before the restart (" + owed.size() + ")")
                + " at the consumer", WAIT, () -> new HashSet<>(received()).containsAll(owed));

        List<String> arrivals = received();
        Set<String> arrived = new HashSet<>(arrivals);
        assertThat(arrived).as("only events that were written arrive").isSubsetOf(all);
        Set<String> missing = new HashSet<>(all);
        missing.removeAll(arrived);
        if (stateKept) {
            assertThat(missing).as("lost, although the emulator's state was brought back").isEmpty();
        } else {
            assertThat(markedBeforeRestart).as("what did not arrive was acknowledged by the emulator that died")
                    .containsAll(missing);
        }
        if (keepsPerKeyOrder()) {
            Map<String, Object[]> rows = rows(db);
            assertPerKeyOrder("before the kill", arrivals.subList(0, arrivedBeforeRestart), rows);
            assertPerKeyOrder("after the restart", arrivals.subList(arrivedBeforeRestart, arrivals.size()), rows);
        }
        System.out.printf("%s emulator restart: %d events over %d keys, %d marked at the kill, %d marked when it"
                        + " came back (state %s), %d arrived before the restart, %d lost with the emulator's memory,"
                        + " %d duplicates; seconds: killed %.1f, restarted %.1f, reachable again %.1f, all published %.1f,"
                        + " all arrived %.1f%n", name(), events(), keys(), markedAtKill, markedBeforeRestart.size(),
                stateKept ? "brought back" : "lost", arrivedBeforeRestart, missing.size(),
                arrivals.size() - arrived.size(), killedAt, restartedAt, recoveredAt, allPublishedAt, seconds(started));
    }

    private void write(TestDatabase db) throws SQLException {
        List<OutboxEvent> events = new ArrayList<>(events());
        for (int i = 0; i < events(); i++) {
            events.add(OutboxEvent.builder(aggregateType, "key-" + (i % keys()), "ThingChanged")
                    .payload("{\"n\": " + i + "}").build());
        }
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE)) {
            c.setAutoCommit(false);
            Outbox.create().appendAll(c, events);
            c.commit();
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static RelayState.Phase phase(Relay relay) {
        return relay.stats().state().phase();
    }

    private static long published(TestDatabase db) {
        return db.queryLong("SELECT count(*) FROM outbox.event_history");
    }

    private static void assertNothingChargedOrDead(TestDatabase db) {
        assertThat(db.queryLong("SELECT (SELECT count(*) FROM outbox.event WHERE attempts > 0)"
                + " + (SELECT count(*) FROM outbox.event_history WHERE attempts > 0)")).as("events charged").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL")).as("dead").isZero();
    }

    private static Set<String> publishedIds(TestDatabase db) throws SQLException {
        return ids(db, "SELECT id FROM outbox.event_history");
    }

    private static Set<String> allIds(TestDatabase db) throws SQLException {
        return ids(db, "SELECT id FROM outbox.event UNION ALL SELECT id FROM outbox.event_history");
    }

    private static Set<String> ids(TestDatabase db, String sql) throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                ids.add(r.getString(1));
            }
        }
        return ids;
    }

    /** id → {key, seq}. */
    private static Map<String, Object[]> rows(TestDatabase db) throws SQLException {
        Map<String, Object[]> rows = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT id, aggregateid, seq FROM outbox.event"
                     + " UNION ALL SELECT id, aggregateid, seq FROM outbox.event_history")) {
            while (r.next()) {
                rows.put(r.getString(1), new Object[] {r.getString(2), r.getLong(3)});
            }
        }
        return rows;
    }

    /**
     * Per key, the first arrival of each event comes in seq order; a repeated event (a redelivery,
     * which Pub/Sub makes of a key's later messages too) is not checked again.
     */
    private static void assertPerKeyOrder(String when, List<String> arrivals, Map<String, Object[]> rows) {
        Map<String, Long> last = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (String id : arrivals) {
            if (!seen.add(id)) {
                continue;
            }
            Object[] row = rows.get(id);
            long seq = (Long) row[1];
            Long before = last.put((String) row[0], seq);
            assertThat(before == null || before < seq).as("per-key order of %s %s: seq %s after %s", row[0], when,
                    seq, before).isTrue();
        }
    }
}
