package dev.outbox.relay.sidecar;

import dev.outbox.core.internal.SqlIdentifiers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * The state of the outbox table, read at scrape time for {@code /metrics}.
 *
 * <p>Both queries repeat the predicates of the partial indexes ({@code event_undelivered_idx},
 * {@code event_dead_idx}), so their cost follows the backlog and the dead events, not the number
 * of published rows kept for the retention. The age is computed by the database clock, so a
 * skewed relay host does not distort it.
 *
 * @param backlog undelivered events: not published, not dead
 * @param oldestUndeliveredAgeSeconds age of the oldest undelivered event, 0 when there is none
 * @param dead dead events waiting for an operator
 */
record OutboxGauges(long backlog, double oldestUndeliveredAgeSeconds, long dead) {
    private static final int QUERY_TIMEOUT_SECONDS = 5;

    /**
     * @param schema the outbox schema, already validated by {@link dev.outbox.relay.RelayConfig}
     * @throws SQLException when the database cannot answer; the caller leaves the gauges out
     */
    static OutboxGauges query(DataSource dataSource, String schema) throws SQLException {
        String table = SqlIdentifiers.quote("relay.schema", schema) + ".event";
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            long backlog;
            double age;
            try (ResultSet r = s.executeQuery("SELECT count(*),"
                    + " COALESCE(GREATEST(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0), 0)::float8"
                    + " FROM " + table + " WHERE published_at IS NULL AND dead_at IS NULL")) {
                r.next();
                backlog = r.getLong(1);
                age = r.getDouble(2);
            }
            long dead;
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM " + table + " WHERE dead_at IS NOT NULL")) {
                r.next();
                dead = r.getLong(1);
            }
            return new OutboxGauges(backlog, age, dead);
        }
    }
}
