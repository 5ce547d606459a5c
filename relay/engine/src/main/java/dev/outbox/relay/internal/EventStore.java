package dev.outbox.relay.internal;

import dev.outbox.core.internal.JsonCodec;
import dev.outbox.core.internal.SqlIdentifiers;
import dev.outbox.relay.spi.OutboxMessage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
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

    private final String schema;
    private final String table;
    private final String history;
    private final boolean deleteOnPublish;
    private final String claimSql;
    private final String bodiesSql;
    private final String publishSql;
    private final String failSql;
    private final String purgeSql;
    /** Where the day partitions of the history made by this store end: marking before it needs none made. */
    private Instant historyReadyUntil = Instant.MIN;
    /** The advisory lock (class, 0) that lets one instance at a time purge. */
    private final int purgeLockClass;

    public EventStore(String schema, boolean deleteOnPublish) {
        this.purgeLockClass = SlotOwnership.lockClass(schema + ".relay.purge");
        this.schema = SqlIdentifiers.quote("relay.schema", schema);
        this.table = this.schema + ".event";
        this.history = this.schema + ".event_history";
        // Undelivered events of owned slots in write order, skipping every event whose key has
        // an earlier event that is dead or waiting for its retry (the key is parked). The
        // predicates repeat the partial indexes' exactly so that PostgreSQL uses them.
        // Each row's body is rendered once (the OFFSET 0 keeps the lateral subquery from being
        // folded into three renderings) and measured in bytes; only bodies up to a per-row share
        // of the byte budget travel with the claim, so the claim's result is bounded whatever is
        // stored. Larger bodies are read afterwards, and only for the rows that fit the budget.
        this.claimSql = "SELECT e.id, e.seq, e.aggregatetype, e.aggregateid, e.type, e.occurred_at, e.attempts,"
                + " b.bytes, CASE WHEN b.bytes <= ? THEN b.payload END, CASE WHEN b.bytes <= ? THEN b.headers END"
                + " FROM " + table + " e"
                + " CROSS JOIN LATERAL (SELECT r.payload, r.headers, octet_length(r.payload)::bigint + octet_length(r.headers) AS bytes"
                + "   FROM (SELECT e.payload::text AS payload, e.headers::text AS headers OFFSET 0) r) b"
                + " WHERE e.published_at IS NULL AND e.dead_at IS NULL"
                + " AND e.slot = ANY(?)"
                + " AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= ?)"
                + " AND NOT EXISTS (SELECT 1 FROM " + table + " p"
                + "   WHERE p.aggregatetype = e.aggregatetype AND p.aggregateid = e.aggregateid AND p.seq < e.seq"
                + "   AND p.published_at IS NULL AND p.attempts > 0"
                + "   AND (p.dead_at IS NOT NULL OR p.next_attempt_at > ?))"
                + " AND NOT (?::int8multirange @> e.seq)"
                + " ORDER BY e.seq LIMIT ? FOR UPDATE OF e SKIP LOCKED";
        this.bodiesSql = "SELECT id, payload::text, headers::text FROM " + table + " WHERE id = ANY(?)";
        this.deleteOnPublish = deleteOnPublish;
        // Kept events move to the history in one statement: a delete from the queue and an append
        // to a table without indexes (sql/V7__event_history.sql says why).
        this.publishSql = deleteOnPublish
                ? "DELETE FROM " + table + " WHERE id = ANY(?)"
                : "WITH d AS (DELETE FROM " + table + " WHERE id = ANY(?)"
                + " RETURNING id, seq, aggregatetype, aggregateid, type, payload, headers, occurred_at, attempts, last_error)"
                + " INSERT INTO " + history + " (id, seq, aggregatetype, aggregateid, type, payload, headers, occurred_at,"
                + " attempts, last_error, published_at)"
                + " SELECT id, seq, aggregatetype, aggregateid, type, payload, headers, occurred_at, attempts, last_error, ?"
                + " FROM d";
        this.failSql = "UPDATE " + table + " e SET attempts = e.attempts + 1, last_error = f.error,"
                + " next_attempt_at = f.next_attempt_at, dead_at = f.dead_at"
                + " FROM unnest(?::uuid[], ?::text[], ?::timestamptz[], ?::timestamptz[])"
                + " AS f(id, error, next_attempt_at, dead_at) WHERE e.id = f.id";
        // Events marked published in place, by relays before V7: purged row by row until none is left.
        this.purgeSql = "DELETE FROM " + table + " WHERE id IN (SELECT id FROM " + table
                + " WHERE published_at IS NOT NULL AND published_at < ? LIMIT ?)";
    }

    public String table() {
        return table;
    }

    /**
     * What one claim locked: deliverable events in write order, at most {@code limit} of them
     * and at most {@code maxBytes} of payload and headers; or, when the first deliverable event
     * alone is larger than {@code maxBytes}, that event without its body ({@link #tooLarge}).
     *
     * @param events the events to send, bodies loaded
     * @param tooLarge the first event, too large to load; {@code null} when {@code events} is used
     * @param full whether the claim stopped at a limit, so more events are likely waiting
     * @param bytes the events' payload and headers as JSON text
     */
    public record Claim(List<OutboxMessage> events, TooLarge tooLarge, boolean full, long bytes) {
    }

    /**
     * An event whose body is larger than a claim may hold; its body was never loaded.
     *
     * @param attempt 1 for the first attempt, as {@link OutboxMessage#attempt()}
     * @param bytes its payload and headers as JSON text
     */
    public record TooLarge(UUID id, String aggregateType, String aggregateId, String type, int attempt, long bytes) {
    }

    /**
     * Claims deliverable events of the given slots in write order, locking their rows, until
     * {@code limit} rows or {@code maxBytes} bytes of payload and headers (JSON text), leaving
     * out the events with the seqs in {@code skip} (in flight: claimed before, not marked yet).
     * Never loads more than {@code maxBytes} of bodies, whatever the table holds.
     */
    public Claim claim(Connection c, Collection<Integer> slots, Instant now, int limit, long maxBytes,
                       long[] skip) throws SQLException {
        long inlineMax = maxBytes / limit; // so that all inline bodies together stay within maxBytes
        List<Row> rows = new ArrayList<>();
        List<UUID> later = new ArrayList<>();
        boolean full;
        long total = 0;
        try (PreparedStatement s = c.prepareStatement(claimSql)) {
            s.setLong(1, inlineMax);
            s.setLong(2, inlineMax);
            s.setArray(3, c.createArrayOf("int4", slots.toArray()));
            Timestamp at = Timestamp.from(now);
            s.setTimestamp(4, at);
            s.setTimestamp(5, at);
            s.setString(6, multirange(skip));
            s.setInt(7, limit);
            int seen = 0;
            boolean cut = false;
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    seen++;
                    long bytes = r.getLong(8);
                    if (total + bytes > maxBytes) {
                        if (rows.isEmpty()) {
                            return new Claim(List.of(), new TooLarge(r.getObject(1, UUID.class), r.getString(3),
                                    r.getString(4), r.getString(5), r.getInt(7) + 1, bytes), true, 0);
                        }
                        cut = true; // this row and the rest stay for the next claim (unlocked at commit)
                        break;
                    }
                    total += bytes;
                    String payload = r.getString(9);
                    Row row = new Row(r.getObject(1, UUID.class), r.getLong(2), r.getString(3), r.getString(4),
                            r.getString(5), r.getObject(6, OffsetDateTime.class).toInstant(), r.getInt(7) + 1,
                            payload == null ? null : new Body(payload, r.getString(10)));
                    if (row.body == null) {
                        later.add(row.id);
                    }
                    rows.add(row);
                }
            }
            full = cut || seen >= limit;
        }
        Map<UUID, Body> bodies = later.isEmpty() ? Map.of() : bodies(c, later);
        List<OutboxMessage> claimed = new ArrayList<>(rows.size());
        for (Row row : rows) {
            Body body = row.body != null ? row.body : bodies.get(row.id);
            claimed.add(new OutboxMessage(row.id, row.seq, row.aggregateType, row.aggregateId, row.type, body.payload,
                    "{}".equals(body.headers) ? Map.of() : JsonCodec.readHeaders(body.headers), row.occurredAt,
                    row.attempt));
        }
        return new Claim(claimed, null, full, total);
    }

    /**
     * The seqs as an {@code int8multirange} literal, consecutive ones merged: {@code {[3,5],[9,9]}}.
     * The claim tests each candidate against it by binary search; an array of 500 ids, tested
     * one by one, made a claim several times slower.
     */
    static String multirange(long[] seqs) {
        long[] sorted = seqs.clone();
        Arrays.sort(sorted);
        StringBuilder literal = new StringBuilder("{");
        for (int i = 0; i < sorted.length; ) {
            int j = i;
            while (j + 1 < sorted.length && sorted[j + 1] <= sorted[j] + 1) {
                j++;
            }
            literal.append(literal.length() > 1 ? "," : "").append('[').append(sorted[i]).append(',')
                    .append(sorted[j]).append(']');
            i = j + 1;
        }
        return literal.append('}').toString();
    }

    /** A claimed row; its body is null when it was too large to come with the claim. */
    private record Row(UUID id, long seq, String aggregateType, String aggregateId, String type, Instant occurredAt,
                       int attempt, Body body) {
    }

    /** Payload and headers as JSON text. */
    private record Body(String payload, String headers) {
    }

    /** Bodies of claimed rows that did not come with the claim. */
    private Map<UUID, Body> bodies(Connection c, List<UUID> ids) throws SQLException {
        Map<UUID, Body> bodies = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement(bodiesSql)) {
            s.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    bodies.put(r.getObject(1, UUID.class), new Body(r.getString(2), r.getString(3)));
                }
            }
        }
        return bodies;
    }

    /**
     * Marks events published: moves them to the history, or deletes them when the retention is
     * zero. With a retention, the history's partition for {@code at} must exist: see
     * {@link #historyReady(Instant)}.
     */
    public void published(Connection c, List<UUID> ids, Instant at) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement(publishSql)) {
            s.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            if (!deleteOnPublish) {
                s.setTimestamp(2, Timestamp.from(at));
            }
            s.executeUpdate();
        }
    }

    /**
     * Whether events published at {@code at} can be marked without making a partition first: true
     * without a retention, or when {@link #prepareHistory} made that day's partition.
     */
    public boolean historyReady(Instant at) {
        return deleteOnPublish || at.isBefore(historyReadyUntil);
    }

    /**
     * Makes the history's partitions for the day (UTC) of {@code at} and the day after, when
     * missing. Run it in a transaction of its own, holding no lock on the history: making a
     * partition locks the whole history briefly. Does not commit.
     */
    public void prepareHistory(Connection c, Instant at) throws SQLException {
        LocalDate day = LocalDate.ofInstant(at, ZoneOffset.UTC);
        try (PreparedStatement s = c.prepareStatement("SELECT " + schema + ".event_history_prepare(?, 2)")) {
            s.setObject(1, day);
            s.executeQuery().close();
        }
        historyReadyUntil = day.plusDays(2).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /**
     * Drops the history's day partitions that end at or before {@code before}; returns how many
     * events they held. Does not commit.
     */
    public long dropHistory(Connection c, Instant before) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + schema + ".event_history_drop(?)")) {
            s.setTimestamp(1, Timestamp.from(before));
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    /**
     * Deletes the history's events published before {@code before}, row by row: for what is left
     * of a day after {@link #dropHistory}. Does not commit.
     */
    public long deleteHistory(Connection c, Instant before) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM " + history + " WHERE published_at < ?")) {
            s.setTimestamp(1, Timestamp.from(before));
            return s.executeUpdate();
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

    /**
     * Takes the purge lock for the current transaction if no other session holds it; returns
     * whether it did. Relays purge one at a time: the others find the lock taken and skip.
     */
    public boolean tryPurgeLock(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?, 0)")) {
            s.setInt(1, purgeLockClass);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getBoolean(1);
            }
        }
    }

    /**
     * Deletes up to {@code limit} events that were marked published in place (by a relay before
     * V7) before {@code cutoff}; returns how many.
     */
    public int purgeMarkedInPlace(Connection c, Instant cutoff, int limit) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(purgeSql)) {
            s.setTimestamp(1, Timestamp.from(cutoff));
            s.setInt(2, limit);
            return s.executeUpdate();
        }
    }

    private static String truncate(String error) {
        return SessionFailure.truncate(error == null ? "unknown error" : error, 2000);
    }
}
