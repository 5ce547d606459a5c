package dev.outbox.relay;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.MutableClock;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Retries, backoff, transport outages and hung transports. */
class FailureHandlingIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Time close() may take beyond shutdownTimeout: returning from joins on a loaded 2-core machine. */
    private static final long SHUTDOWN_MARGIN_MILLIS = 300;

    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;
    private DataSource relayRole;

    @BeforeEach
    void database() {
        db = fixture.db();
        relayRole = fixture.relayRole();
    }

    private static RelayConfig.Builder fast() {
        return RelayDatabase.fast();
    }

    private Relay start(Relay.Builder builder) {
        return fixture.start(builder);
    }

    private Instant nextAttemptAt() {
        return nextAttemptAt("flaky");
    }

    private Instant nextAttemptAt(String aggregateId) {
        return Instant.parse(db.queryString(
                "SELECT to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                        + " FROM outbox.event WHERE aggregateid = '" + aggregateId + "'"));
    }

    @Test
    void retryableFailuresBackOffWithGrowingJitteredDelaysAndSucceedWhenTheTransportRecovers() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        Iterator<Double> jitter = List.of(0.0, 0.5, 0.99, 0.25).iterator();
        AtomicInteger failuresLeft = new AtomicInteger(4);
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "r1").failing(m ->
                m.aggregateId().equals("flaky") && failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0
                        ? TransportException.retryable("broker busy", null) : null);
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " VALUES ('Order', 'flaky', 'OrderPlaced', '{}')");
        start(Relay.builder(relayRole, sink).clock(clock).random(jitter::next)
                .config(fast().backoffBase(Duration.ofSeconds(1)).backoffCap(Duration.ofSeconds(10)).maxAttempts(10).build()));

        // Delay n = d/2 + jitter * d/2 with d = 1s * 2^(n-1): 0.5s, 1.5s, 3.98s, 5s.
        List<Duration> expected = List.of(Duration.ofMillis(500), Duration.ofMillis(1500), Duration.ofMillis(3980),
                Duration.ofMillis(5000));
        List<Duration> observed = new ArrayList<>();
        for (int attempt = 1; attempt <= 4; attempt++) {
            int n = attempt;
            await("attempt " + n + " recorded", WAIT, () -> db.queryLong(
                    "SELECT attempts FROM outbox.event WHERE aggregateid = 'flaky'") == n);
            Instant next = nextAttemptAt();
            observed.add(Duration.between(clock.instant(), next));
            assertThat(db.queryLong("SELECT count(*) FROM sink WHERE aggregateid = 'flaky'")).isZero();
            clock.advance(Duration.between(clock.instant(), next).minusMillis(1));
            // Not due yet: once a probe event written after the clock moved is delivered, the
            // relay has claimed since, and must have left the flaky event alone.
            db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                    + " VALUES ('Order', 'probe-" + n + "', 'Probe', '{}')");
            await("probe " + n + " delivered", WAIT, () -> db.queryLong(
                    "SELECT count(*) FROM sink WHERE aggregateid = 'probe-" + n + "'") == 1);
            assertThat(db.queryLong("SELECT attempts FROM outbox.event WHERE aggregateid = 'flaky'")).isEqualTo(n);
            clock.set(next);
        }
        assertThat(observed).containsExactlyElementsOf(expected);
        awaitAllPublished(db, WAIT);
        assertThat(db.queryLong("SELECT count(*) FROM sink WHERE aggregateid = 'flaky' AND attempt = 5")).isEqualTo(1);
        assertThat(db.queryString("SELECT last_error FROM outbox.event_history WHERE aggregateid = 'flaky'"))
                .as("kept in the history").contains("broker busy");
    }

    @Test
    void destinationThatNamesAWaitDelaysTheRetryAndOneThatIsGoneKillsTheEventAtOnce() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        SinkTransport sink = fixture.sink("r1").failing(m -> switch (m.aggregateId()) {
            case "busy" -> TransportException.retryable("429", null).withRetryAfter(Duration.ofMinutes(30));
            case "gone" -> TransportException.deadNow("410 Gone", null);
            default -> null;
        });
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " VALUES ('Order', 'busy', 'OrderPlaced', '{}'), ('Order', 'gone', 'OrderPlaced', '{}')");
        start(Relay.builder(relayRole, sink).clock(clock).config(fast().backoffBase(Duration.ofMillis(10))
                .backoffCap(Duration.ofSeconds(1)).maxNonRetryableAttempts(5).build()));

        await("both failed once", WAIT, () -> db.queryLong("SELECT count(*) FROM outbox.event WHERE attempts = 1") == 2);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE aggregateid = 'gone' AND dead_at IS NOT NULL"))
                .as("dead at once although 5 non-retryable attempts are allowed").isEqualTo(1);
        assertThat(Duration.between(clock.instant(), nextAttemptAt("busy")))
                .as("Retry-After wins over a 10ms backoff").isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void retryableFailuresEndInDeadAfterMaxAttemptsAndHoldBackOnlyTheirKey() {
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "r1").failing(m ->
                m.aggregateId().equals("k0") ? TransportException.retryable("always busy", null) : null);
        Events.insert(db, 300, 10, "OrderPlaced");
        start(Relay.builder(relayRole, sink).config(fast().backoffBase(Duration.ofMillis(5))
                .backoffCap(Duration.ofMillis(20)).maxAttempts(3).build()));

        await("the first k0 event is dead", WAIT, () -> db.queryLong(
                "SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL") == 1);
        await("every other key delivered", WAIT, () -> db.queryLong("SELECT count(*) FROM sink") == 270);
        assertThat(db.queryLong("SELECT attempts FROM outbox.event WHERE dead_at IS NOT NULL")).isEqualTo(3);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE aggregateid = 'k0' AND published_at IS NULL"))
                .as("k0's later events wait behind the dead one").isEqualTo(30);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE aggregateid = 'k0' AND attempts > 0"))
                .as("only the head of k0 was attempted").isEqualTo(1);
    }

    @Test
    void brokerOutageMarksNothingAndEverythingIsDeliveredOnceItIsBack() {
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "r1")
                .failingBatches(TransportException.retryable("connection refused", null));
        Events.insert(db, 400, 20, "OrderPlaced");
        Relay relay = start(Relay.builder(relayRole, sink).config(fast().backoffBase(Duration.ofMillis(50)).backoffCap(Duration.ofMillis(200)).build()));

        await("the relay tried and paused", WAIT, () -> relay.stats().transportErrors() >= 3);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE attempts > 0"))
                .as("an outage is not the events' fault: no attempts charged").isZero();

        sink.failingBatches(null);
        awaitAllPublished(db, WAIT);
        Events.Received received = Events.received(db);
        assertThat(received.distinct()).isEqualTo(400);
        assertThat(received.keysOutOfOrder()).isEmpty();
    }

    @Test
    void eventsTheDestinationDidNotAnswerForAreNotChargedAcknowledgedOnesAreMarkedAndTheRelayPauses() {
        AtomicBoolean down = new AtomicBoolean(true);
        // Keys k5..k9 live on a destination that does not answer; k0..k4 are acknowledged.
        SinkTransport sink = fixture.sink("r1").failing(m -> down.get() && m.aggregateId().compareTo("k5") >= 0
                ? TransportException.outage("no answer from the partition leader of " + m.aggregateId(), null) : null);
        Events.insert(db, 100, 10, "OrderPlaced");
        Relay relay = start(Relay.builder(relayRole, sink).config(fast().batchSize(100)
                .backoffBase(Duration.ofMillis(50)).backoffCap(Duration.ofMillis(200)).build()));

        await("the answered keys delivered", WAIT, () -> db.queryLong("SELECT count(*) FROM sink") == 50);
        await("the relay paused on the outage several times", WAIT, () -> relay.stats().transportErrors() >= 3);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history"))
                .as("acknowledged events of the batch are marked").isEqualTo(50);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE attempts > 0 OR last_error IS NOT NULL"
                + " OR next_attempt_at IS NOT NULL")).as("nothing charged for the unanswered events").isZero();
        RelayState state = relay.stats().state();
        assertThat(state.phase()).isEqualTo(RelayState.Phase.TRANSPORT_PAUSED);
        assertThat(state.lastError()).contains("no answer from the partition leader");
        assertThat(relay.stats().ready()).isFalse();

        down.set(false);
        awaitAllPublished(db, WAIT);
        Events.Received received = Events.received(db);
        assertThat(received.distinct()).isEqualTo(100);
        assertThat(received.keysOutOfOrder()).isEmpty();
        await("running again", WAIT, () -> relay.stats().state().phase() == RelayState.Phase.RUNNING);
    }

    @Test
    void aPausedRelayIsRunningAgainOnceNothingWaitsForTheTransport() {
        SinkTransport sink = fixture.sink("r1").failingBatches(TransportException.retryable("connection refused", null));
        Events.insert(db, 10, 2, "OrderPlaced");
        Relay relay = start(Relay.builder(relayRole, sink).config(fast().backoffBase(Duration.ofMillis(20))
                .backoffCap(Duration.ofMillis(100)).build()));
        await("paused", WAIT, () -> relay.stats().state().phase() == RelayState.Phase.TRANSPORT_PAUSED);
        assertThat(relay.stats().state().lastError()).isEqualTo("connection refused");

        db.execute("DELETE FROM outbox.event"); // e.g. an operator discarded them: nothing left to send

        await("running again although no send proved the transport back", WAIT,
                () -> relay.stats().state().phase() == RelayState.Phase.RUNNING && relay.stats().ready());
    }

    @Test
    void noEventGoesDeadDuringAnOutageEvenWithASingleAttemptAllowed() {
        AtomicBoolean unanswered = new AtomicBoolean(true);
        SinkTransport sink = fixture.sink("r1").failing(m -> unanswered.get()
                ? TransportException.outage("topic orders: no metadata within 5s", null) : null);
        Events.insert(db, 200, 20, "OrderPlaced");
        Relay relay = start(Relay.builder(relayRole, sink).config(fast().maxAttempts(1).maxNonRetryableAttempts(1)
                .sendTimeout(Duration.ofMillis(200)).backoffBase(Duration.ofMillis(20)).backoffCap(Duration.ofMillis(100))
                .build()));

        // Three kinds of outage in turn: per-event "no answer", the whole call failing, no answer in time.
        await("per-event outages paused the relay", WAIT, () -> relay.stats().transportErrors() >= 3);
        sink.failingBatches(TransportException.permanent("connection refused", null));
        unanswered.set(false);
        long before = relay.stats().transportErrors();
        await("thrown failures paused the relay", WAIT, () -> relay.stats().transportErrors() >= before + 3);
        sink.failingBatches(null).hanging();
        long beforeHang = relay.stats().transportErrors();
        await("send timeouts paused the relay", WAIT, () -> relay.stats().transportErrors() >= beforeHang + 2);

        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE attempts > 0")).isZero();
        assertThat(relay.stats().dead()).isZero();

        sink.release();
        awaitAllPublished(db, WAIT);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL")).isZero();
        assertThat(Events.received(db).keysOutOfOrder()).isEmpty();
    }

    @Test
    void hungTransportTimesOutAndTheBatchIsRetried() {
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "r1").hanging();
        Events.insert(db, 50, 5, "OrderPlaced");
        Relay relay = start(Relay.builder(relayRole, sink).config(fast().sendTimeout(Duration.ofMillis(300))
                .backoffBase(Duration.ofMillis(50)).backoffCap(Duration.ofMillis(100)).build()));

        await("the call timed out", WAIT, () -> relay.stats().transportErrors() >= 1);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history")).isZero();
        sink.release();
        awaitAllPublished(db, WAIT);
        assertThat(Events.received(db).distinct()).isEqualTo(50);
    }

    @Test
    void shutdownCompletesWithinItsBoundWhileTheTransportHangs() {
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "r1").hanging();
        Events.insert(db, 50, 5, "OrderPlaced");
        Relay relay = start(Relay.builder(relayRole, sink).config(fast().sendTimeout(Duration.ofMinutes(5))
                .shutdownTimeout(Duration.ofMillis(500)).build()));
        await("a send is in flight", WAIT, () -> sink.calls() >= 1);

        long started = System.nanoTime();
        relay.close();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        sink.release();

        assertThat(took).isLessThan(Duration.ofMillis(500 + SHUTDOWN_MARGIN_MILLIS));
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history"))
                .as("the abandoned batch is not marked").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
                .as("slots released").isZero();
    }

    @Test
    void shutdownStaysWithinItsBoundWhenTheTransportsCloseNeverReturns() {
        SinkTransport sink = fixture.sink("r1");
        CountDownLatch never = new CountDownLatch(1);
        Transport stuckOnClose = new Transport() {
            @Override
            public List<SendResult> send(List<OutboxMessage> batch) {
                return sink.send(batch);
            }

            @Override
            public void close() {
                SinkTransport.awaitUninterruptibly(never); // a client whose close waits for a broker that is gone
            }
        };
        Events.insert(db, 20, 5, "OrderPlaced");
        Relay relay = start(Relay.builder(relayRole, stuckOnClose).config(fast().shutdownTimeout(Duration.ofSeconds(1)).build()));
        awaitAllPublished(db, WAIT);

        long started = System.nanoTime();
        relay.close();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        never.countDown();

        assertThat(took).isLessThan(Duration.ofMillis(1_000 + SHUTDOWN_MARGIN_MILLIS));
        assertThat(relay.stats().state().phase()).isEqualTo(RelayState.Phase.STOPPED);
    }

    @Test
    void shutdownStaysWithinItsBoundWhenBothTheSendAndTheCloseHang() {
        SinkTransport sink = fixture.sink("r1").hanging();
        CountDownLatch never = new CountDownLatch(1);
        Transport stuck = new Transport() {
            @Override
            public List<SendResult> send(List<OutboxMessage> batch) {
                return sink.send(batch);
            }

            @Override
            public void close() {
                SinkTransport.awaitUninterruptibly(never);
            }
        };
        Events.insert(db, 20, 5, "OrderPlaced");
        Relay relay = start(Relay.builder(relayRole, stuck).config(fast().sendTimeout(Duration.ofMinutes(5))
                .shutdownTimeout(Duration.ofSeconds(1)).build()));
        await("a send is in flight", WAIT, () -> sink.calls() >= 1);

        long started = System.nanoTime();
        relay.close();
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        never.countDown();
        sink.release();

        assertThat(took).isLessThan(Duration.ofMillis(1_000 + SHUTDOWN_MARGIN_MILLIS));
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history"))
                .as("the abandoned batch is not marked").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
                .as("slots released within the bound").isZero();
    }

    @Test
    void relayWithDueRetryTimeStillRespectsTheKeyOrder() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        AtomicInteger failuresLeft = new AtomicInteger(1);
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "r1").failing(m ->
                m.aggregateId().equals("k0") && failuresLeft.getAndDecrement() > 0
                        ? TransportException.retryable("busy", null) : null);
        Events.insert(db, 40, 4, "OrderPlaced");
        start(Relay.builder(relayRole, sink).clock(clock).config(fast().build()));
        await("other keys delivered", WAIT, () -> db.queryLong("SELECT count(*) FROM sink") == 30);
        assertThat(db.queryLong("SELECT count(*) FROM sink WHERE aggregateid = 'k0'")).isZero();
        clock.set(Timestamp.valueOf("2026-01-01 01:00:00").toInstant());
        awaitAllPublished(db, WAIT);
        assertThat(Events.received(db).keysOutOfOrder()).isEmpty();
        assertThat(Events.received(db).distinct()).isEqualTo(40);
    }
}
