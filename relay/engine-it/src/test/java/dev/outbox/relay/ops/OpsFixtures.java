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
     * @param state {@code undelivered}, {@code retrying}, {@code dead:<sql time>} or {@code published:<sql time>}
     */
    static UUID insert(TestDatabase db, String aggregateType, String aggregateId, String type, String occurredAt,
                       String state) {
        String attempts = "0";
        String nextAttempt = "NULL";
        String lastError = "NULL";
        String published = "NULL";
        String dead = "NULL";
        if (state.equals("retrying")) {
            attempts = "2";
            nextAttempt = "now() + interval '1 hour'";
            lastError = "'retryable: broker busy'";
        } else if (state.startsWith("dead:")) {
            attempts = "3";
            lastError = "'non-retryable: rejected'";
            dead = state.substring(5);
        } else if (state.startsWith("published:")) {
            published = state.substring(10);
        } else if (!state.equals("undelivered")) {
            throw new IllegalArgumentException(state);
        }
        return UUID.fromString(db.queryString("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload,"
                + " occurred_at, attempts, next_attempt_at, last_error, published_at, dead_at) VALUES ('"
                + aggregateType + "', '" + aggregateId + "', '" + type + "', '{}', " + occurredAt + ", " + attempts
                + ", " + nextAttempt + ", " + lastError + ", " + published + ", " + dead + ") RETURNING id"));
    }
}
