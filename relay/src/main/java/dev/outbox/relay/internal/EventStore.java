package dev.outbox.relay.internal;

import dev.outbox.core.internal.JsonCodec;
import dev.outbox.core.internal.SqlIdentifiers;
import dev.outbox.relay.spi.OutboxMessage;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The relay's SQL against {@code <schema>.event}. Every statement works on batches (arrays), so
 * a batch costs a fixed number of round trips whatever its size.
 */
public final class EventStore {
    /** Number of slots; must match the {@code slot} column expression of sql/V1__outbox_event.sql. */
    public static final int SLOTS = 64;

    private final String table;
    private final boolean deleteOnPublish;
    private final String claimSql;
    private final String publishSql;
    private final String failSql;
    private final String purgeSql;

    public EventStore(String schema, boolean deleteOnPublish) {
        this.table = SqlIdentifiers.quote("relay.schema", schema) + ".event";
        // Undelivered events of owned slots in write order, skipping every event whose key has
        // an earlier event that is dead or waiting for its retry (the key is parked). The
        // predicates repeat the partial indexes' exactly so that PostgreSQL uses them.
        this.claimSql = "SELECT e.id, e.seq, e.aggregatetype, e.aggregateid, e.type, e.payload::text,"
                + " e.headers::text, e.occurred_at, e.attempts"
                + " FROM " + table + " e"
                + " WHERE e.published_at IS NULL AND e.dead_at IS NULL"
                + " AND e.slot = ANY(?)"
                + " AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= ?)"
                + " AND NOT EXISTS (SELECT 1 FROM " + table + " p"
                + "   WHERE p.aggregatetype = e.aggregatetype AND p.aggregateid = e.aggregateid AND p.seq < e.seq"
                + "   AND p.published_at IS NULL AND p.attempts > 0"
                + "   AND (p.dead_at IS NOT NULL OR p.next_attempt_at > ?))"
                + " ORDER BY e.seq LIMIT ? FOR UPDATE SKIP LOCKED";
        this.deleteOnPublish = deleteOnPublish;
        this.publishSql = deleteOnPublish
                ? "DELETE FROM " + table + " WHERE id = ANY(?)"
                : "UPDATE " + table + " SET published_at = ?, next_attempt_at = NULL WHERE id = ANY(?)";
        this.failSql = "UPDATE " + table + " e SET attempts = e.attempts + 1, last_error = f.error,"
                + " next_attempt_at = f.next_attempt_at, dead_at = f.dead_at"
                + " FROM unnest(?::uuid[], ?::text[], ?::timestamptz[], ?::timestamptz[])"
                + " AS f(id, error, next_attempt_at, dead_at) WHERE e.id = f.id";
        this.purgeSql = "DELETE FROM " + table + " WHERE id IN (SELECT id FROM " + table
                + " WHERE published_at IS NOT NULL AND published_at < ? LIMIT ?)";
    }

    public String table() {
        return table;
    }

    /** Claims up to {@code limit} deliverable events of the given slots, locking their rows. */
    public List<OutboxMessage> claim(Connection c, Collection<Integer> slots, Instant now, int limit)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement(claimSql)) {
            s.setArray(1, c.createArrayOf("int4", slots.toArray()));
            Timestamp at = Timestamp.from(now);
            s.setTimestamp(2, at);
            s.setTimestamp(3, at);
            s.setInt(4, limit);
            List<OutboxMessage> claimed = new ArrayList<>(limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    String headers = r.getString(7);
                    claimed.add(new OutboxMessage(
                            r.getObject(1, UUID.class),
                            r.getLong(2),
                            r.getString(3),
                            r.getString(4),
                            r.getString(5),
                            r.getString(6),
                            "{}".equals(headers) ? Map.of() : JsonCodec.readHeaders(headers),
                            r.getObject(8, OffsetDateTime.class).toInstant(),
                            r.getInt(9) + 1));
                }
            }
            return claimed;
        }
    }

    /** Marks events published (or deletes them when the retention is zero). */
    public void published(Connection c, List<UUID> ids, Instant at) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement(publishSql)) {
            Array array = c.createArrayOf("uuid", ids.toArray());
            if (deleteOnPublish) {
                s.setArray(1, array);
            } else {
                s.setTimestamp(1, Timestamp.from(at));
                s.setArray(2, array);
            }
            s.executeUpdate();
        }
    }

    /** A failed attempt: when to try again, or when the event died. */
    public record Failure(UUID id, String error, Instant nextAttemptAt, Instant deadAt) {
    }

    /** Records failed attempts in one statement. */
    public void failed(Connection c, List<Failure> failures) throws SQLException {
        if (failures.isEmpty()) {
            return;
        }
        int n = failures.size();
        Object[] ids = new Object[n];
        Object[] errors = new Object[n];
        Object[] next = new Object[n];
        Object[] dead = new Object[n];
        for (int i = 0; i < n; i++) {
            Failure f = failures.get(i);
            ids[i] = f.id();
            errors[i] = truncate(f.error());
            next[i] = f.nextAttemptAt() == null ? null : Timestamp.from(f.nextAttemptAt());
            dead[i] = f.deadAt() == null ? null : Timestamp.from(f.deadAt());
        }
        try (PreparedStatement s = c.prepareStatement(failSql)) {
            s.setArray(1, c.createArrayOf("uuid", ids));
            s.setArray(2, c.createArrayOf("text", errors));
            s.setArray(3, c.createArrayOf("timestamptz", next));
            s.setArray(4, c.createArrayOf("timestamptz", dead));
            s.executeUpdate();
        }
    }

    /** Deletes up to {@code limit} events published before {@code cutoff}; returns how many. */
    public int purge(Connection c, Instant cutoff, int limit) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(purgeSql)) {
            s.setTimestamp(1, Timestamp.from(cutoff));
            s.setInt(2, limit);
            return s.executeUpdate();
        }
    }

    private static String truncate(String error) {
        String text = error == null ? "unknown error" : error;
        return text.length() <= 2000 ? text : text.substring(0, 2000) + "…";
    }
}
