package dev.outbox.bench.drain;

/**
 * The ceiling of any polling relay on this schema: one statement per batch that claims the oldest
 * undelivered events with {@code FOR UPDATE SKIP LOCKED}, marks them (or deletes them) and returns
 * the columns the relay reads, in one round trip and one transaction. It is the only SQL of the
 * harness that knows how published rows are stored.
 */
final class CeilingSql {
    /** What the relay reads of each claimed event (see {@code EventStore}'s claim). */
    static final String COLUMNS = "e.id, e.seq, e.aggregatetype, e.aggregateid, e.type, e.payload::text, e.headers::text,"
            + " e.occurred_at, e.attempts";
    /** The claim: the partial index's predicate repeated exactly, oldest first, one batch. */
    private static final String CLAIM = "SELECT id FROM outbox.event WHERE published_at IS NULL AND dead_at IS NULL"
            + " ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED";
    /**
     * Retention kept: published rows move to the history (sql/V7__event_history.sql), as the
     * relay moves them.
     */
    static final String MOVE = "WITH c AS (" + CLAIM + "),"
            + " d AS (DELETE FROM outbox.event e USING c WHERE e.id = c.id RETURNING e.*),"
            + " h AS (INSERT INTO outbox.event_history SELECT id, seq, aggregatetype, aggregateid, type, payload, headers,"
            + " occurred_at, attempts, last_error, now() FROM d)"
            + " SELECT " + COLUMNS + " FROM d e";
    /**
     * Retention kept as before V7: published rows stay in the queue table, marked. The issue's
     * original ceiling; the relay no longer does this work.
     */
    static final String MARK = "WITH c AS (" + CLAIM + ") UPDATE outbox.event e SET published_at = now() FROM c"
            + " WHERE e.id = c.id RETURNING " + COLUMNS;
    /** Retention 0: published rows are deleted. */
    static final String DELETE = "WITH c AS (" + CLAIM + ") DELETE FROM outbox.event e USING c WHERE e.id = c.id"
            + " RETURNING " + COLUMNS;
    /**
     * The least a relay that sends between claiming and marking must do: the claim alone, one
     * statement, then {@link #MOVE_CLAIMED} in a second one (same transaction).
     */
    static final String CLAIM_ONLY = "SELECT " + COLUMNS + " FROM outbox.event e WHERE e.id IN (" + CLAIM + ")"
            + " ORDER BY e.seq";
    /** Moves the claimed events (ids bound as an array) to the history. */
    static final String MOVE_CLAIMED = "WITH d AS (DELETE FROM outbox.event WHERE id = ANY(?) RETURNING *)"
            + " INSERT INTO outbox.event_history SELECT id, seq, aggregatetype, aggregateid, type, payload, headers,"
            + " occurred_at, attempts, last_error, now() FROM d";
    /** Columns of {@link #COLUMNS}, all read by the loop as the relay reads them. */
    static final int COLUMN_COUNT = 9;

    private CeilingSql() {
    }
}
