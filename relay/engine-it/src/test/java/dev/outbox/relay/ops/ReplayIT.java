package dev.outbox.relay.ops;

import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Replay end to end: a running relay delivers exactly the selected published events a second time. */
class ReplayIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Event i (1..300) occurred at BASE + i minutes; types cycle A, B, C; aggregate types Order/Invoice. */
    private static final Instant BASE = Instant.parse("2025-01-01T00:00:00Z");
    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();
    private static TestDatabase db;
    private static DataSource relayRole;
    private static Operations ops;
    private Relay relay;

    @BeforeAll
    static void operations() {
        db = FIXTURE.db();
        relayRole = FIXTURE.relayRole();
        ops = FIXTURE.operations();
    }

    @BeforeEach
    void publish300EventsThroughARunningRelay() {
        db.execute("TRUNCATE outbox.event, outbox.event_history; DROP TABLE IF EXISTS sink; " + SinkTransport.TABLE_DDL);
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, occurred_at)"
                + " SELECT CASE WHEN i % 2 = 0 THEN 'Order' ELSE 'Invoice' END, 'k' || (i % 20),"
                + " (ARRAY['A', 'B', 'C'])[i % 3 + 1], jsonb_build_object('n', i),"
                + " '" + BASE + "'::timestamptz + i * interval '1 minute'"
                + " FROM generate_series(1, 300) i");
        relay = Relay.builder(relayRole, new SinkTransport(db.jdbcUrl(), "relay")).config(RelayConfig.builder()
                .instanceName("replay")
                .batchSize(50)
                .minPollInterval(Duration.ofMillis(1))
                .maxPollInterval(Duration.ofMillis(20))
                .rebalanceInterval(Duration.ofMillis(50))
                .build()).build().start();
        await("all 300 events were published", TIMEOUT, () -> ops.status().published() == 300
                && db.queryLong("SELECT count(*) FROM sink") == 300);
    }

    @AfterEach
    void stopRelay() {
        if (relay != null) {
            relay.close();
        }
        db.execute("DROP TABLE IF EXISTS sink");
    }

    @Test
    void replayedRangeAndTypeArriveExactlyOnceMoreAndNothingElse() {
        ReplayRequest request = ReplayRequest.between(BASE.plus(Duration.ofMinutes(100)), BASE.plus(Duration.ofMinutes(200)))
                .ofType("A");
        Set<UUID> expected = ids("SELECT id FROM outbox.event_history WHERE type = 'A'"
                + " AND occurred_at >= '" + request.from() + "' AND occurred_at < '" + request.to() + "'");
        assertThat(expected).hasSize(33); // i in [100, 200) with i % 3 = 0

        ReplayResult result = replayWithProgress(request, expected.size());

        assertThat(result.requeued()).isEqualTo(expected.size());
        await("the relay delivered the replayed events again", TIMEOUT, () -> ops.replayPending(result) == 0
                && db.queryLong("SELECT count(*) FROM sink") == 300 + expected.size());
        assertThat(twice()).isEqualTo(expected);
        assertThat(db.queryLong("SELECT count(*) FROM sink")).isEqualTo(300 + expected.size());
        assertThat(ops.status().published()).isEqualTo(300);
    }

    @Test
    void replayedAggregateTypeArrivesAgainInWriteOrderPerKey() {
        ReplayRequest request = ReplayRequest.between(BASE, BASE.plus(Duration.ofMinutes(150))).ofAggregateType("Order");
        Set<UUID> expected = ids("SELECT id FROM outbox.event_history WHERE aggregatetype = 'Order'"
                + " AND occurred_at < '" + request.to() + "'");
        assertThat(expected).hasSize(74); // even i in [2, 148]

        ReplayResult result = ops.replay(request);

        assertThat(result.requeued()).isEqualTo(expected.size());
        await("the relay delivered the replayed events again", TIMEOUT, () -> ops.replayPending(result) == 0
                && db.queryLong("SELECT count(*) FROM sink") == 300 + expected.size());
        assertThat(twice()).isEqualTo(expected);
        // Second deliveries of each key come in seq order, like the first ones.
        assertThat(db.queryLong("SELECT count(*) FROM (SELECT seq < lag(seq) OVER (PARTITION BY aggregatetype,"
                + " aggregateid ORDER BY received) AS backwards FROM sink WHERE received > 300) x WHERE backwards"))
                .isZero();
    }

    /** Replays, checking that the progress reported ends at the count announced beforehand. */
    private static ReplayResult replayWithProgress(ReplayRequest request, long total) {
        assertThat(ops.countReplayable(request)).isEqualTo(total);
        List<Long> progress = new ArrayList<>();
        ReplayResult result = ops.replay(request, progress::add);
        assertThat(progress).isNotEmpty().isSorted().last().isEqualTo(total);
        return result;
    }

    /** Events that arrived exactly twice; fails if any arrived more often. */
    private static Set<UUID> twice() {
        Map<UUID, Long> counts = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT event_id, count(*) FROM sink GROUP BY event_id")) {
            while (r.next()) {
                counts.put(r.getObject(1, UUID.class), r.getLong(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        assertThat(counts).hasSize(300);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(1L, 2L));
        Set<UUID> twice = new HashSet<>();
        counts.forEach((id, n) -> {
            if (n == 2) {
                twice.add(id);
            }
        });
        return twice;
    }

    private static Set<UUID> ids(String sql) {
        Set<UUID> ids = new HashSet<>();
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                ids.add(r.getObject(1, UUID.class));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
        return ids;
    }
}
