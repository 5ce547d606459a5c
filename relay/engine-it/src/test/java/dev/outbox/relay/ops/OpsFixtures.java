package dev.outbox.relay.ops;

import dev.outbox.testing.TestDatabase;
import java.util.UUID;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** Shared test support: a superuser data source and crafted rows in a given delivery state. */
final class OpsFixtures {
    private OpsFixtures() {
    }

    /** Connections as the superuser of the test server (sees every session's details). */
    static DataSource superuserDataSource(TestDatabase db) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(db.jdbcUrl());
        return ds;
    }

    /**
     * Inserts one event as the superuser in a given delivery state and returns its id.
     *
     * @param occurredAt SQL expression, e.g. {@code now() - interval '1 hour'}
     * @param state {@code undelivered}, {@code retrying}, {@code dead:<sql time>}, {@code published:<sql time>}
     *     (moved to the history, as a relay does) or {@code marked-in-place:<sql time>} (published_at set in
     *     the queue table, as relays before V7 did)
     */
    static UUID insert(TestDatabase db, String aggregateType, String aggregateId, String type, String occurredAt,
                       String state) {
        String attempts = "0";
        String nextAttempt = "NULL";
        String lastError = "NULL";
        String published = "NULL";
        String dead = "NULL";
        String history = null;
        if (state.equals("retrying")) {
            attempts = "2";
            nextAttempt = "now() + interval '1 hour'";
            lastError = "'retryable: broker busy'";
        } else if (state.startsWith("dead:")) {
            attempts = "3";
            lastError = "'non-retryable: rejected'";
            dead = state.substring(5);
        } else if (state.startsWith("published:")) {
            history = state.substring(10);
        } else if (state.startsWith("marked-in-place:")) {
            published = state.substring(16);
        } else if (!state.equals("undelivered")) {
            throw new IllegalArgumentException(state);
        }
        UUID id = UUID.fromString(db.queryString("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload,"
                + " occurred_at, attempts, next_attempt_at, last_error, published_at, dead_at) VALUES ('"
                + aggregateType + "', '" + aggregateId + "', '" + type + "', '{}', " + occurredAt + ", " + attempts
                + ", " + nextAttempt + ", " + lastError + ", " + published + ", " + dead + ") RETURNING id"));
        if (history != null) {
            db.execute("SELECT outbox.event_history_prepare(((" + history + ") AT TIME ZONE 'UTC')::date, 1)");
            db.execute("WITH d AS (DELETE FROM outbox.event WHERE id = '" + id + "' RETURNING id, seq, aggregatetype,"
                    + " aggregateid, type, payload, headers, occurred_at, attempts, last_error)"
                    + " INSERT INTO outbox.event_history SELECT *, " + history + " FROM d");
        }
        return id;
    }
}
