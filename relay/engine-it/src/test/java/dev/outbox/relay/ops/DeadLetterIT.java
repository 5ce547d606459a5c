package dev.outbox.relay.ops;

import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The poison event, end to end with a real relay: it dies after its attempts, holds back only the
 * later events of its key, and an operator's retry or discard lets that key flow again, in order.
 */
class DeadLetterIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();
    private static TestDatabase db;
    private static DataSource relayRole;
    private static Operations ops;

    private final AtomicBoolean rejectPoison = new AtomicBoolean(true);
    private Relay relay;
    private UUID poison;

    @BeforeAll
    static void operations() {
        db = FIXTURE.db();
        relayRole = FIXTURE.relayRole();
        ops = FIXTURE.operations();
    }

    @BeforeEach
    void poisonEventDiesWhileEverythingElseIsDelivered() {
        db.execute("TRUNCATE outbox.event, outbox.event_history; DROP TABLE IF EXISTS sink; " + SinkTransport.TABLE_DDL);
        // Write order: the poison event of key Order/poison, 500 events of 50 other keys, the 5
        // later events of the poison's key, 500 more of the other keys.
        poison = UUID.fromString(db.queryString("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " VALUES ('Order', 'poison', 'Poison', '{}') RETURNING id"));
        insertOthers(1, 500);
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " SELECT 'Order', 'poison', 'Later', jsonb_build_object('n', i) FROM generate_series(1, 5) i");
        insertOthers(501, 1000);

        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "relay").failing(m ->
                rejectPoison.get() && m.type().equals("Poison") ? TransportException.permanent("rejected", null) : null);
        relay = Relay.builder(relayRole, sink).config(RelayConfig.builder()
                .instanceName("dead-letter")
                .batchSize(100)
                .maxNonRetryableAttempts(3)
                .backoffBase(Duration.ofMillis(10))
                .backoffCap(Duration.ofMillis(50))
                .minPollInterval(Duration.ofMillis(1))
                .maxPollInterval(Duration.ofMillis(20))
                .rebalanceInterval(Duration.ofMillis(50))
                .build()).build().start();

        await("the poison event is dead and the other 1,000 events arrived", TIMEOUT, () ->
                db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL") == 1
                        && db.queryLong("SELECT count(*) FROM sink WHERE aggregateid <> 'poison'") == 1000);

        assertThat(db.queryString("SELECT attempts || '|' || last_error || '|' || (dead_at IS NOT NULL)"
                + " FROM outbox.event WHERE id = '" + poison + "'")).isEqualTo("3|non-retryable: rejected|true");
        assertThat(db.queryLong("SELECT count(*) FROM sink WHERE aggregateid = 'poison'"))
                .as("neither the poison event nor the later events of its key are delivered while it is dead")
                .isZero();
        assertThat(db.queryLong("SELECT count(DISTINCT event_id) FROM sink")).isEqualTo(1000);
        StatusReport status = ops.status();
        assertThat(status.dead()).isEqualTo(1);
        assertThat(status.backlog()).isEqualTo(5);
        assertThat(ops.deadEvents(10)).singleElement().satisfies(d -> {
            assertThat(d.id()).isEqualTo(poison);
            assertThat(d.attempts()).isEqualTo(3);
            assertThat(d.heldBack()).isEqualTo(5);
        });
    }

    @AfterEach
    void stopRelay() {
        if (relay != null) {
            relay.close();
        }
        db.execute("DROP TABLE IF EXISTS sink");
    }

    @Test
    void retriedPoisonEventIsDeliveredFirstAndThenTheLaterEventsOfItsKeyInOrder() {
        rejectPoison.set(false); // the consumer was fixed

        assertThat(ops.retryDead(poison)).isEqualTo(1);

        await("the poison event and the 5 later events of its key arrived", TIMEOUT,
                () -> db.queryLong("SELECT count(*) FROM sink WHERE aggregateid = 'poison'") == 6);
        List<String> arrived = arrivalsOfPoisonKey();
        assertThat(arrived).containsExactly("Poison", "Later", "Later", "Later", "Later", "Later");
        assertThat(seqsOfPoisonKeyInArrivalOrder()).isSorted().doesNotHaveDuplicates();
        assertThat(db.queryLong("SELECT attempt FROM sink WHERE event_id = '" + poison + "'"))
                .as("a retried event starts a fresh attempt budget").isEqualTo(1);
        await("nothing is left undelivered", TIMEOUT, () -> ops.status().backlog() == 0);
        assertThat(ops.status().dead()).isZero();
    }

    @Test
    void discardedPoisonEventReleasesTheLaterEventsOfItsKeyAndNeverArrives() {
        DeadEvent discarded = ops.discardDead(poison);

        assertThat(discarded.heldBack()).isEqualTo(5);
        await("the 5 later events of the poison's key arrived", TIMEOUT,
                () -> db.queryLong("SELECT count(*) FROM sink WHERE aggregateid = 'poison'") == 5);
        assertThat(arrivalsOfPoisonKey()).containsExactly("Later", "Later", "Later", "Later", "Later");
        assertThat(seqsOfPoisonKeyInArrivalOrder()).isSorted().doesNotHaveDuplicates();
        assertThat(db.queryLong("SELECT count(*) FROM sink WHERE event_id = '" + poison + "'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE id = '" + poison + "'")).isZero();
        await("nothing is left undelivered", TIMEOUT, () -> ops.status().backlog() == 0);
    }

    @Test
    void deadEventShowsWhatItCarriesAndTheListFiltersByTypeAndAggregateType() {
        DeadEventDetail detail = ops.deadEvent(poison).orElseThrow();

        assertThat(detail.event().id()).isEqualTo(poison);
        assertThat(detail.event().heldBack()).isEqualTo(5);
        assertThat(detail.event().lastError()).contains("rejected");
        assertThat(detail.payload()).isEqualTo("{}");
        assertThat(detail.occurredAt()).isNotNull();
        assertThat(ops.deadEvent(UUID.randomUUID())).isEmpty();
        assertThat(ops.deadEvents(10, "Poison", null)).extracting(DeadEvent::id).containsExactly(poison);
        assertThat(ops.deadEvents(10, null, "Order")).extracting(DeadEvent::id).containsExactly(poison);
        assertThat(ops.deadEvents(10, "Poison", "Order")).extracting(DeadEvent::id).containsExactly(poison);
        assertThat(ops.deadEvents(10, "OrderChanged", null)).isEmpty();
        assertThat(ops.deadEvents(10, null, "Customer")).isEmpty();
    }

    @Test
    void perMinuteCountsThePublishedAndTheDeadEventsOfTheRecentPast() {
        List<MinuteCount> minutes = ops.perMinute(java.time.Instant.now().minus(Duration.ofHours(1)));

        assertThat(minutes.stream().mapToLong(MinuteCount::published).sum()).isEqualTo(1000);
        assertThat(minutes.stream().mapToLong(MinuteCount::dead).sum()).isEqualTo(1);
        assertThat(minutes).extracting(MinuteCount::minute).isSorted();
        assertThat(ops.perMinute(java.time.Instant.now().plus(Duration.ofMinutes(1)))).isEmpty();
    }

    private static void insertOthers(int from, int to) {
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " SELECT 'Order', 'k' || (i % 50), 'OrderChanged', jsonb_build_object('n', i)"
                + " FROM generate_series(" + from + ", " + to + ") i");
    }

    private static List<String> arrivalsOfPoisonKey() {
        return column("SELECT type FROM sink WHERE aggregateid = 'poison' ORDER BY received");
    }

    private static List<Long> seqsOfPoisonKeyInArrivalOrder() {
        return column("SELECT seq FROM sink WHERE aggregateid = 'poison' ORDER BY received").stream()
                .map(Long::valueOf).toList();
    }

    private static List<String> column(String sql) {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (r.next()) {
                values.add(r.getString(1));
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }
}
