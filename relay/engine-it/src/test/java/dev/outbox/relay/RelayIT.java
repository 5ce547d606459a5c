package dev.outbox.relay;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The engine against the real PostgreSQL, with a transport that writes to a real table. */
class RelayIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;

    @BeforeEach
    void database() {
        db = fixture.db();
    }

    private Relay start(String name, SinkTransport sink, RelayConfig.Builder config) {
        return fixture.start(sink, config.instanceName(name).build());
    }

    private SinkTransport sink(String name) {
        return fixture.sink(name);
    }

    private static RelayConfig.Builder fast() {
        return RelayDatabase.fast();
    }

    @Test
    void deliversEveryCommittedEventOnceAndMarksItPublished() {
        Events.insert(db, 500, 20, "OrderPlaced");
        Relay relay = start("r1", sink("r1"), fast());
        awaitAllPublished(db, WAIT);

        Events.Received received = Events.received(db);
        assertThat(received.distinct()).isEqualTo(500);
        assertThat(received.duplicates()).isZero();
        assertThat(received.keysOutOfOrder()).isEmpty();
        assertThat(relay.stats().published()).isEqualTo(500);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history WHERE attempts = 0"))
                .isEqualTo(500);
    }

    @Test
    void threeInstancesKeepPerKeyOrderAndTakeOverTheSlotsOfOneThatStops() {
        Events.insert(db, 10_000, 200, "OrderPlaced");
        Relay a = start("a", sink("a"), fast());
        Relay b = start("b", sink("b"), fast());
        Relay c = start("c", sink("c"), fast());
        await("the three instances share the 64 slots", WAIT, () -> {
            Set<Integer> all = new HashSet<>();
            int total = 0;
            for (Relay r : List.of(a, b, c)) {
                total += r.stats().ownedSlots().size();
                all.addAll(r.stats().ownedSlots());
                if (r.stats().ownedSlots().isEmpty()) {
                    return false;
                }
            }
            return total == 64 && all.size() == 64;
        });
        await("a third of the events delivered", WAIT, () -> db.queryLong("SELECT count(*) FROM sink") >= 3_000);

        c.close(); // mid-stream: its in-flight batch completes, its slots are released
        await("a and b own all 64 slots", WAIT, () -> a.stats().ownedSlots().size() + b.stats().ownedSlots().size() == 64);
        awaitAllPublished(db, WAIT);

        Events.Received received = Events.received(db);
        assertThat(received.distinct()).isEqualTo(10_000);
        assertThat(received.keysOutOfOrder()).isEmpty();
        assertThat(received.duplicates()).as("a graceful stop leaves nothing in flight").isZero();
        Set<Integer> union = new HashSet<>(a.stats().ownedSlots());
        union.addAll(b.stats().ownedSlots());
        assertThat(union).hasSize(64);
        assertThat(db.queryLong("SELECT count(DISTINCT sender) FROM sink")).isEqualTo(3);
    }

    @Test
    void instancesRebalanceWhenOthersJoin() {
        Relay first = start("first", sink("first"), fast());
        await("the only instance owns every slot", WAIT, () -> first.stats().ownedSlots().size() == 64);
        Relay second = start("second", sink("second"), fast());
        Relay third = start("third", sink("third"), fast());
        await("slots spread over three instances", WAIT, () -> {
            int x = first.stats().ownedSlots().size();
            int y = second.stats().ownedSlots().size();
            int z = third.stats().ownedSlots().size();
            return x + y + z == 64 && Math.max(x, Math.max(y, z)) <= 22 && Math.min(x, Math.min(y, z)) >= 20;
        });
        Set<Integer> union = new HashSet<>(first.stats().ownedSlots());
        union.addAll(second.stats().ownedSlots());
        union.addAll(third.stats().ownedSlots());
        assertThat(union).hasSize(64);
    }

    @Test
    void transactionThatTakesItsSequenceFirstAndCommitsLastIsStillRelayed() throws Exception {
        start("r1", sink("r1"), fast());
        try (Connection late = db.connect(); Statement s = late.createStatement()) {
            late.setAutoCommit(false);
            s.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                    + " VALUES ('Order', 'late', 'OrderPlaced', '{}')");
            Events.insert(db, 50, 5, "OrderPlaced"); // higher seqs, committed first
            await("the early commits are delivered", WAIT, () -> db.queryLong("SELECT count(*) FROM sink") == 50);
            late.commit();
        }
        await("the late commit is delivered", WAIT,
                () -> db.queryLong("SELECT count(*) FROM sink WHERE aggregateid = 'late'") == 1);
        assertThat(db.queryLong("SELECT min(seq) FROM outbox.event_history"))
                .isEqualTo(db.queryLong("SELECT seq FROM sink WHERE aggregateid = 'late'"));
    }

    @Test
    void skipsRowsLockedByAnotherTransactionAndDeliversThemOnceReleased() throws Exception {
        Events.insert(db, 20, 20, "OrderPlaced");
        try (Connection locker = db.connect(); Statement s = locker.createStatement()) {
            locker.setAutoCommit(false);
            s.execute("SELECT 1 FROM outbox.event WHERE aggregateid IN ('k1', 'k2') FOR UPDATE");
            start("r1", sink("r1"), fast());
            await("the unlocked events are delivered", WAIT, () -> db.queryLong("SELECT count(*) FROM sink") == 18);
            assertThat(db.queryLong("SELECT count(*) FROM sink WHERE aggregateid IN ('k1', 'k2')")).isZero();
            locker.commit();
        }
        awaitAllPublished(db, WAIT);
        assertThat(Events.received(db).distinct()).isEqualTo(20);
    }

    @Test
    void retentionZeroDeletesEventsWhenTheyArePublished() {
        Events.insert(db, 200, 10, "OrderPlaced");
        start("r1", sink("r1"), fast().retention(Duration.ZERO));
        await("every event delivered and deleted", WAIT, () -> db.queryLong("SELECT count(*) FROM outbox.event") == 0);
        assertThat(Events.received(db).distinct()).isEqualTo(200);
    }

    @Test
    void movesPublishedEventsToTheHistoryWithTheirDeliveryStateAndPreparesTodayAndTomorrow() {
        Events.insert(db, 100, 10, "OrderPlaced");
        db.execute("UPDATE outbox.event SET attempts = 2, last_error = 'refused' WHERE seq = (SELECT min(seq) FROM outbox.event)");
        start("r1", sink("r1"), fast());
        await("every event moved to the history", WAIT, () -> db.queryLong("SELECT count(*) FROM outbox.event") == 0);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history")).isEqualTo(100);
        assertThat(db.queryString("SELECT attempts || ' ' || last_error FROM outbox.event_history"
                + " WHERE seq = (SELECT min(seq) FROM outbox.event_history)")).isEqualTo("2 refused");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history"
                + " WHERE published_at > now() - interval '1 minute' AND published_at <= now()")).isEqualTo(100);
        assertThat(db.queryLong("SELECT count(*) FROM pg_class WHERE relname IN ("
                + " 'event_history_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD'),"
                + " 'event_history_p' || to_char(now() AT TIME ZONE 'UTC' + interval '1 day', 'YYYYMMDD'))"))
                .as("the partitions of today and tomorrow (UTC)").isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history_p"
                        + DateTimeFormatter.BASIC_ISO_DATE.format(LocalDate.now(ZoneOffset.UTC))))
                .as("today's partition holds them").isEqualTo(100);
    }

    @Test
    void dropsHistoryDaysOlderThanTheRetentionWholeAndKeepsTheDayItEndsIn() {
        // Three days ago and yesterday, 100 published events each, made as the relay would.
        db.execute("SELECT outbox.event_history_prepare((now() AT TIME ZONE 'UTC')::date - 3, 3)");
        for (int daysAgo : new int[] {3, 1}) {
            db.execute("INSERT INTO outbox.event_history SELECT gen_random_uuid(), -g, 'Order', 'old', 'OrderPlaced',"
                    + " '{}', '{}', now(), 0, NULL, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
                    + " - interval '" + daysAgo + " days' + interval '1 hour' FROM generate_series(1, 100) g");
        }
        Events.insert(db, 50, 10, "OrderPlaced");
        Relay relay = start("r1", sink("r1"), fast().retention(Duration.ofHours(36)).purgeInterval(Duration.ofMillis(100)));
        String threeDaysAgo = "outbox.event_history_p" + DateTimeFormatter.BASIC_ISO_DATE.format(
                LocalDate.now(ZoneOffset.UTC).minusDays(3));
        await("the day older than the retention dropped", WAIT,
                () -> db.queryLong("SELECT count(*) FROM pg_class WHERE oid = to_regclass('" + threeDaysAgo + "')") == 0);
        awaitAllPublished(db, WAIT);
        // Yesterday's day ends today at 00:00, later than now minus 36 hours: kept whole, although
        // its events are older than the retention (kept by the day: at most one day longer).
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history WHERE aggregateid = 'old'")).isEqualTo(100);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history")).isEqualTo(150);
        assertThat(relay.stats().purged()).isEqualTo(100);
    }

    @Test
    void purgesEventsMarkedPublishedInPlaceByAnEarlierRelayInSmallBatches() {
        Events.insert(db, 300, 10, "OrderPlaced");
        // A relay before V7 marked events published by setting published_at; they stay in the queue table.
        db.execute("UPDATE outbox.event SET published_at = now() - interval '2 hours' WHERE seq <= (SELECT min(seq) + 249 FROM outbox.event)");
        Relay relay = start("r1", sink("r1"), fast().retention(Duration.ofHours(1)).purgeBatchSize(40)
                .purgeInterval(Duration.ofMillis(100)));
        await("old published events purged", WAIT,
                () -> db.queryLong("SELECT count(*) FROM outbox.event WHERE published_at IS NOT NULL") == 0);
        awaitAllPublished(db, WAIT);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history")).as("recent events are kept").isEqualTo(50);
        assertThat(relay.stats().purged()).isEqualTo(250);
        assertThat(Events.received(db).distinct()).isEqualTo(50);
    }
}
