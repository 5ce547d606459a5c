package dev.outbox.relay.testing;

import static dev.outbox.testing.Await.await;

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
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** Writing events and reading what the sink received, for relay tests. */
public final class Events {
    private Events() {
    }

    public static DataSource dataSource(TestDatabase db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(db.jdbcUrl());
        return ds;
    }

    /** A data source whose connections act as the relay role only, as in production. */
    public static DataSource relayRoleDataSource(TestDatabase db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(db.jdbcUrl());
        ds.setOptions("-c role=" + TestDatabase.RELAY_ROLE);
        return ds;
    }

    /** Inserts {@code count} events spread round-robin over {@code keys} keys, in one transaction. */
    public static void insert(TestDatabase db, int count, int keys, String type) {
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " SELECT 'Order', 'k' || (g % " + keys + "), '" + type + "', jsonb_build_object('n', g)"
                + " FROM generate_series(1, " + count + ") g");
    }

    public static void createSink(TestDatabase db) {
        db.execute(SinkTransport.TABLE_DDL);
    }

    /** Waits until every event is published (or deleted) and none is dead or waiting. */
    public static void awaitAllPublished(TestDatabase db, Duration timeout) {
        await("all events published", timeout, () -> db.queryLong(
                "SELECT count(*) FROM outbox.event WHERE published_at IS NULL") == 0);
    }

    /** What the sink received: per event, how often; per key, the seqs in arrival order. */
    public record Received(Map<UUID, Integer> deliveries, Map<String, List<Long>> seqsByKey) {
        public int distinct() {
            return deliveries.size();
        }

        public int total() {
            return deliveries.values().stream().mapToInt(Integer::intValue).sum();
        }

        public int duplicates() {
            return total() - distinct();
        }

        /**
         * Keys whose events first arrived out of write order. A redelivered event may arrive
         * again later (at-least-once), so only first arrivals are checked.
         */
        public List<String> keysOutOfOrder() {
            List<String> bad = new ArrayList<>();
            seqsByKey.forEach((key, seqs) -> {
                Set<Long> seen = new HashSet<>();
                long last = Long.MIN_VALUE;
                for (long seq : seqs) {
                    if (seen.add(seq)) {
                        if (seq < last) {
                            bad.add(key + " " + seqs);
                            return;
                        }
                        last = seq;
                    }
                }
            });
            return bad;
        }
    }

    public static Received received(TestDatabase db) {
        Map<UUID, Integer> deliveries = new HashMap<>();
        Map<String, List<Long>> seqs = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT event_id, aggregatetype || '/' || aggregateid, seq FROM sink ORDER BY received")) {
            while (r.next()) {
                deliveries.merge(r.getObject(1, UUID.class), 1, Integer::sum);
                seqs.computeIfAbsent(r.getString(2), k -> new ArrayList<>()).add(r.getLong(3));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return new Received(deliveries, seqs);
    }
}
