package dev.outbox.relay;

import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static dev.outbox.testing.Await.await;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A transport that {@linkplain Transport#keepsOrderWithinBatch keeps order within a call} gets
 * whole batches, several events per key; when one event is not acknowledged, nothing of its key
 * after it is marked or charged.
 */
class OrderedBatchIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;

    @BeforeEach
    void database() {
        db = fixture.db();
    }

    @Test
    void aTransportThatKeepsOrderGetsSeveralEventsPerKeyInOneCallAndEveryKeyArrivesInWriteOrder() {
        Events.insert(db, 500, 10, "OrderPlaced"); // 50 events per key
        Recording transport = new Recording(fixture.sink("r1").keepingOrderWithinBatch());
        fixture.start(transport, RelayDatabase.fast().batchSize(500).build());

        awaitAllPublished(db, WAIT);
        Events.Received received = Events.received(db);
        assertThat(received.distinct()).isEqualTo(500);
        assertThat(received.duplicates()).isZero();
        assertThat(received.keysOutOfOrder()).isEmpty();
        // One event per key and call (waves) would take at least 50 calls.
        assertThat(transport.calls.get()).as("calls").isLessThan(50);
        assertThat(transport.mostEventsOfOneKeyInACall.get()).as("events of one key in one call").isGreaterThan(1);
    }

    @Test
    void aTransportThatDoesNotKeepOrderGetsAtMostOneEventPerKeyInACall() {
        Events.insert(db, 100, 10, "OrderPlaced");
        Recording transport = new Recording(fixture.sink("r1"));
        fixture.start(transport, RelayDatabase.fast().batchSize(500).build());

        awaitAllPublished(db, WAIT);
        assertThat(transport.mostEventsOfOneKeyInACall.get()).isEqualTo(1);
        assertThat(Events.received(db).keysOutOfOrder()).isEmpty();
    }

    @Test
    void aRefusedEventLeavesLaterEventsOfItsKeyUnmarkedAndUnchargedAndTheyGoAgainAfterItsRetry() {
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " SELECT 'Order', k, 'OrderPlaced', jsonb_build_object('n', g)"
                + " FROM generate_series(1, 10) g, unnest(ARRAY['a', 'b', 'c']) k ORDER BY g, k");
        UUID refused = eventOf("a", 3);
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        SinkTransport sink = fixture.sink("r1").keepingOrderWithinBatch().failing(m ->
                m.id().equals(refused) && m.attempt() == 1 ? TransportException.retryable("broker busy", null) : null);
        fixture.start(Relay.builder(fixture.relayRole(), sink).clock(clock)
                .config(RelayDatabase.fast().batchSize(500).backoffBase(Duration.ofSeconds(10)).build()));

        await("the other keys and a's first two events published", WAIT, () -> db.queryLong(
                "SELECT count(*) FROM outbox.event_history") == 22);
        await("a's third event charged one attempt", WAIT, () -> db.queryLong(
                "SELECT attempts FROM outbox.event WHERE id = '" + refused + "'") == 1);
        // a4..a10 reached the sink in the same call, but none is marked past the gap at a3.
        assertThat(db.queryLong("SELECT count(*) FROM sink WHERE aggregateid = 'a'")).isEqualTo(9);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE aggregateid = 'a'"
                + " AND published_at IS NULL AND (payload->>'n')::int > 3 AND attempts = 0")).isEqualTo(7);

        clock.advance(Duration.ofMinutes(5)); // a3's retry is due
        awaitAllPublished(db, WAIT);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history WHERE attempts > 0"))
                .as("a3 charged once, the others never").isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isZero();
        Map<String, List<Long>> arrivals = Events.received(db).seqsByKey();
        assertThat(arrivals.get("Order/b")).isSorted().hasSize(10);
        assertThat(arrivals.get("Order/c")).isSorted().hasSize(10);
        // What a consumer of key a sees: 1 2 4…10 (sent behind the refused 3), then 3 4…10 in order.
        List<Long> a = arrivals.get("Order/a");
        List<Long> seqs = seqsOf("a");
        List<Long> expected = new ArrayList<>(seqs.subList(0, 2));
        expected.addAll(seqs.subList(3, 10));
        expected.addAll(seqs.subList(2, 10));
        assertThat(a).containsExactlyElementsOf(expected);
    }

    @Test
    void anOutageOfOneEventInAnOrderedBatchChargesNothingAndMarksNothingOfItsKeyAfterIt() {
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " SELECT 'Order', k, 'OrderPlaced', jsonb_build_object('n', g)"
                + " FROM generate_series(1, 10) g, unnest(ARRAY['a', 'b']) k ORDER BY g, k");
        UUID silent = eventOf("a", 5);
        AtomicBoolean answered = new AtomicBoolean();
        SinkTransport sink = fixture.sink("r1").keepingOrderWithinBatch().failing(m ->
                m.id().equals(silent) && !answered.get() ? TransportException.outage("no answer", null) : null);
        fixture.start(sink, RelayDatabase.fast().batchSize(500).build());

        await("b and a's first four events published", WAIT, () -> db.queryLong(
                "SELECT count(*) FROM outbox.event_history") == 14);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE aggregateid = 'a' AND published_at IS NULL"
                + " AND (payload->>'n')::int < 5")).isZero();
        answered.set(true);
        awaitAllPublished(db, WAIT);
        assertThat(db.queryLong("SELECT (SELECT count(*) FROM outbox.event WHERE attempts > 0)"
                + " + (SELECT count(*) FROM outbox.event_history WHERE attempts > 0)")).as("charged").isZero();
        assertThat(Events.received(db).distinct()).isEqualTo(20);
    }

    /** Events queued or published (moved to the history). */
    private static final String EVERY_EVENT = "(SELECT id, seq, aggregateid, payload FROM outbox.event"
            + " UNION ALL SELECT id, seq, aggregateid, payload FROM outbox.event_history) e";

    private UUID eventOf(String key, int n) {
        return UUID.fromString(db.queryString("SELECT id FROM " + EVERY_EVENT + " WHERE aggregateid = '" + key
                + "' AND (payload->>'n')::int = " + n));
    }

    /** The seqs of a key's events 1…10, in write order. */
    private List<Long> seqsOf(String key) {
        return LongStream.rangeClosed(1, 10).mapToObj(n -> db.queryLong("SELECT seq FROM " + EVERY_EVENT
                + " WHERE aggregateid = '" + key + "' AND (payload->>'n')::int = " + n)).toList();
    }

    /** Counts calls and the most events of one key handed over in one call. */
    private static final class Recording implements Transport {
        final Transport delegate;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger mostEventsOfOneKeyInACall = new AtomicInteger();

        Recording(Transport delegate) {
            this.delegate = delegate;
        }

        @Override
        public List<SendResult> send(List<OutboxMessage> batch) {
            calls.incrementAndGet();
            Map<String, Integer> perKey = new HashMap<>();
            for (OutboxMessage m : batch) {
                int n = perKey.merge(m.aggregateType() + "/" + m.aggregateId(), 1, Integer::sum);
                mostEventsOfOneKeyInACall.accumulateAndGet(n, Math::max);
            }
            return delegate.send(batch);
        }

        @Override
        public boolean keepsOrderWithinBatch() {
            return delegate.keepsOrderWithinBatch();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
