package dev.outbox.relay.ops;

import dev.outbox.core.OutboxException;
import dev.outbox.core.internal.SqlErrors;
import dev.outbox.core.internal.SqlIdentifiers;
import dev.outbox.relay.RelayState;
import dev.outbox.relay.internal.EventStore;
import dev.outbox.relay.internal.SlotOwnership;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.LongConsumer;
import javax.sql.DataSource;

/**
 * The operator's toolbox for one outbox schema: status, dead letters (list, retry, discard),
 * replay of published events and the retention purge. The {@code relay} CLI commands are thin
 * wrappers around it; an application may also call it from its own admin endpoints.
 *
 * <pre>{@code
 * Operations ops = Operations.create(dataSource, "outbox");
 * System.out.println(ops.status().renderJson());
 * for (DeadEvent e : ops.deadEvents(50)) { … ops.retryDead(e.id()); }
 * }</pre>
 *
 * <p><b>Privileges.</b> Everything works with only the grants of the {@code outbox_relay} role
 * (read events, update their delivery state, delete them). The event itself (payload, key, type)
 * is never changed.
 *
 * <p><b>Connections and transactions.</b> Each call borrows one connection from the data source
 * and returns it before returning. Single-event commands are one statement. Replay and purge work
 * in batches, each batch its own transaction (committed by this class when the connection is not
 * in auto-commit mode), so they never hold many row locks for long and can run next to live
 * relays; an interrupted replay or purge keeps the batches done so far and can simply be run again.
 *
 * <p><b>Failures.</b> Bad input and database errors throw the unchecked {@link OutboxException}
 * with a message that says what to do (e.g. a missing grant or migration). Thread-safe: it holds
 * no state besides its configuration.
 */
public final class Operations {
    /** Largest number of rows one replay statement re-queues. */
    public static final int REPLAY_BATCH_SIZE = 1000;
    /** A reading that takes longer is a database in trouble: fail rather than hang a scrape. */
    private static final int QUERY_TIMEOUT_SECONDS = 5;

    private final DataSource dataSource;
    private final String schema;
    private final String quotedSchema;
    private final String table;
    private final String history;
    private final String instanceTable;
    private final int slotClass;
    private final int memberClass;
    private final EventStore store;

    private Operations(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.quotedSchema = SqlIdentifiers.quote("schema", schema);
        this.table = quotedSchema + ".event";
        this.history = quotedSchema + ".event_history";
        this.instanceTable = quotedSchema + ".relay_instance";
        SlotOwnership ownership = new SlotOwnership(schema);
        this.slotClass = ownership.slotClass();
        this.memberClass = ownership.memberClass();
        this.store = new EventStore(schema, false);
    }

    /**
     * @param dataSource connections to the outbox database, as a role with the {@code outbox_relay} grants
     * @param schema the outbox schema, as configured for the relays ({@code relay.schema}, default {@code outbox})
     * @throws OutboxException if {@code schema} is not a plain SQL identifier
     */
    public static Operations create(DataSource dataSource, String schema) {
        Objects.requireNonNull(dataSource, "dataSource");
        SqlIdentifiers.quote("schema", schema);
        return new Operations(dataSource, schema);
    }

    public String schema() {
        return schema;
    }

    // ---------------------------------------------------------------------------------- status

    /**
     * The backlog, retry and dead counts, the age of the oldest undelivered event and the live relay
     * instances with their slots. The counts are one statement, so they are consistent with each
     * other; each uses a partial index of the schema, but counting retained published events
     * reads the whole history (a million rows took under 0.2 s here: scripts/bench-purge counts a day).
     *
     * <p>Instances are found through the advisory locks relays hold on their sessions, so a relay
     * shows up exactly while it owns its membership and slots; it needs no heartbeat. Each one's
     * own state (running, transport paused since …, last error …) is the row it keeps in
     * {@code relay_instance} under its session's pid: rows of sessions that are gone are ignored.
     */
    public StatusReport status() {
        return withConnection("read the status of " + table, c -> {
            QueueState queue = queue(c);
            long retrying;
            long published;
            // Each subquery repeats a partial index's predicate so that PostgreSQL can use it.
            try (PreparedStatement s = c.prepareStatement("SELECT"
                    + " (SELECT count(*) FROM " + table + " WHERE published_at IS NULL AND attempts > 0 AND dead_at IS NULL),"
                    + " (SELECT count(*) FROM " + table + " WHERE published_at IS NOT NULL)"
                    + " + (SELECT count(*) FROM " + history + ")");
                 ResultSet r = s.executeQuery()) {
                r.next();
                retrying = r.getLong(1);
                published = r.getLong(2);
            }

            Relays relays = relays(c);
            return new StatusReport(schema, queue.at(), queue.backlog(), queue.oldestUndeliveredAt(), retrying,
                    queue.dead(), published, relays.instances(), relays.unownedSlots());
        });
    }

    /**
     * The live relay instances with their slots and states, as {@link #status()} finds them, without
     * counting events: cheap enough to poll every few seconds.
     */
    public List<StatusReport.RelayInstance> relayInstances() {
        return withConnection("read the relay instances of " + table, c -> relays(c).instances());
    }

    private record Relays(List<StatusReport.RelayInstance> instances, List<Integer> unownedSlots) {
    }

    private Relays relays(Connection c) throws SQLException {
        record Session(String name, Instant since, String client, RelayState state, TreeSet<Integer> slots) {
        }
        Map<Integer, Session> byPid = new TreeMap<>();
        TreeSet<Integer> unowned = new TreeSet<>();
        for (int slot = 0; slot < EventStore.SLOTS; slot++) {
            unowned.add(slot);
        }
        // Two-int advisory locks show as classid (class), objid (slot or pid), objsubid 2.
        // pg_stat_activity shows application_name to every role, the other columns only to
        // roles allowed to see the session (else NULL). A relay writes its state row after
        // taking its locks, so a relay that is just connecting has none yet.
        try (PreparedStatement s = c.prepareStatement(
                "SELECT l.classid::bigint, l.objid::bigint, l.pid, a.application_name, a.backend_start,"
                        + " host(a.client_addr), r.phase, r.since, r.last_error"
                        + " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
                        + " LEFT JOIN " + instanceTable + " r ON r.pid = l.pid"
                        + " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
                        + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                        + " AND l.classid::bigint IN (?, ?)"
                        + " ORDER BY l.pid, l.objid")) {
            s.setLong(1, slotClass);
            s.setLong(2, memberClass);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    int pid = r.getInt(3);
                    Session session = byPid.get(pid);
                    if (session == null) {
                        session = new Session(instanceName(r.getString(4), pid), instant(r, 5), r.getString(6),
                                relayState(r.getString(7), instant(r, 8), r.getString(9)), new TreeSet<>());
                        byPid.put(pid, session);
                    }
                    // A slot lock without a membership lock would be an engine anomaly; the
                    // session is listed anyway so that no owned slot is reported unowned.
                    if (r.getLong(1) == slotClass) {
                        int slot = (int) r.getLong(2);
                        session.slots().add(slot);
                        unowned.remove(slot);
                    }
                }
            }
        }
        List<StatusReport.RelayInstance> instances = new ArrayList<>();
        byPid.forEach((pid, s) -> instances.add(
                new StatusReport.RelayInstance(s.name(), pid, s.since(), s.client(), List.copyOf(s.slots()),
                        s.state())));
        instances.sort((a, b) -> a.name().equals(b.name()) ? Integer.compare(a.pid(), b.pid())
                : a.name().compareTo(b.name()));
        return new Relays(instances, List.copyOf(unowned));
    }

    /**
     * The backlog, the oldest undelivered event and the dead count, in one statement that reads
     * only the partial indexes of undelivered and dead events (so its cost does not grow with the
     * published rows kept for the retention): cheap enough for every metrics scrape.
     */
    public QueueState queue() {
        return withConnection("read the backlog of " + table, this::queue);
    }

    private QueueState queue(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT now(),"
                + " (SELECT count(*) FROM " + table + " WHERE published_at IS NULL AND dead_at IS NULL),"
                + " (SELECT min(occurred_at) FROM " + table + " WHERE published_at IS NULL AND dead_at IS NULL),"
                + " (SELECT count(*) FROM " + table + " WHERE dead_at IS NOT NULL)")) {
            s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return new QueueState(instant(r, 1), r.getLong(2), instant(r, 3), r.getLong(4));
            }
        }
    }

    /** A state row as written by a relay; {@code null} without one (or from a newer relay with phases unknown here). */
    private static RelayState relayState(String phase, Instant since, String lastError) {
        if (phase == null || since == null) {
            return null;
        }
        for (RelayState.Phase p : RelayState.Phase.values()) {
            if (p.name().equals(phase)) {
                return new RelayState(p, since, lastError);
            }
        }
        return null;
    }

    private static String instanceName(String applicationName, int pid) {
        if (applicationName == null || applicationName.isEmpty()) {
            return "pid-" + pid; // a session that changed its application_name after taking locks
        }
        return applicationName.startsWith(SlotOwnership.APPLICATION_NAME_PREFIX)
                ? applicationName.substring(SlotOwnership.APPLICATION_NAME_PREFIX.length()) : applicationName;
    }

    // ---------------------------------------------------------------------------- dead letters

    /**
     * The dead events, oldest death first, each with the number of undelivered later events of its
     * key that it holds back. One statement: the backlog is read once for all listed events.
     *
     * @param limit at most this many, 1 to 100,000
     */
    public List<DeadEvent> deadEvents(int limit) {
        return deadEvents(limit, null, null);
    }

    /**
     * The dead events of one event type and/or aggregate type (see {@link #deadEvents(int)}).
     *
     * @param limit at most this many, 1 to 100,000
     * @param type only events of this type, or {@code null} for all
     * @param aggregateType only events of this aggregate type, or {@code null} for all
     */
    public List<DeadEvent> deadEvents(int limit, String type, String aggregateType) {
        if (limit < 1 || limit > 100_000) {
            throw new OutboxException("dead list limit must be between 1 and 100000 (was " + limit + ")");
        }
        return withConnection("list the dead events of " + table, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "WITH dead AS (SELECT id, seq, aggregatetype, aggregateid, type, attempts, last_error, dead_at"
                            + " FROM " + table + " WHERE dead_at IS NOT NULL"
                            + " AND (?::text IS NULL OR type = ?) AND (?::text IS NULL OR aggregatetype = ?)"
                            + " ORDER BY dead_at, seq LIMIT ?)"
                            + " SELECT d.id, d.seq, d.aggregatetype, d.aggregateid, d.type, d.attempts, d.last_error,"
                            + " d.dead_at, count(l.id)"
                            + " FROM dead d LEFT JOIN " + table + " l ON l.aggregatetype = d.aggregatetype"
                            + " AND l.aggregateid = d.aggregateid AND l.seq > d.seq"
                            + " AND l.published_at IS NULL AND l.dead_at IS NULL"
                            + " GROUP BY d.id, d.seq, d.aggregatetype, d.aggregateid, d.type, d.attempts,"
                            + " d.last_error, d.dead_at"
                            + " ORDER BY d.dead_at, d.seq")) {
                bindOptional(s, 1, type);
                bindOptional(s, 3, aggregateType);
                s.setInt(5, limit);
                List<DeadEvent> events = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        events.add(deadEvent(r));
                    }
                }
                return events;
            }
        });
    }

    /**
     * One dead event with its payload and headers, for an operator deciding whether to retry or
     * discard it.
     *
     * @return the event, or empty when no dead event has this id (unknown, undelivered or published)
     */
    public Optional<DeadEventDetail> deadEvent(UUID id) {
        Objects.requireNonNull(id, "id");
        return withConnection("read dead event " + id + " of " + table, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT d.id, d.seq, d.aggregatetype, d.aggregateid, d.type, d.attempts, d.last_error, d.dead_at,"
                            + " (SELECT count(*) FROM " + table + " l WHERE l.aggregatetype = d.aggregatetype"
                            + " AND l.aggregateid = d.aggregateid AND l.seq > d.seq"
                            + " AND l.published_at IS NULL AND l.dead_at IS NULL),"
                            + " d.occurred_at, d.payload::text, d.headers::text"
                            + " FROM " + table + " d WHERE d.id = ? AND d.dead_at IS NOT NULL")) {
                s.setObject(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new DeadEventDetail(deadEvent(r), instant(r, 10), r.getString(11),
                            r.getString(12)));
                }
            }
        });
    }

    /**
     * Events published and events that died per minute since {@code since} (on the database's
     * clock), oldest minute first, minutes without either left out: to draw the recent past after
     * a restart. Published events are counted in the history by {@code published_at}, which
     * selects its day partitions, plus those marked published in place before V7; dead events by
     * {@code dead_at} among those still dead (a dead event retried or discarded since is not counted).
     */
    public List<MinuteCount> perMinute(Instant since) {
        Objects.requireNonNull(since, "since");
        return withConnection("count the events published per minute in " + table, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT minute, sum(published)::bigint, sum(dead)::bigint FROM ("
                            + " SELECT date_trunc('minute', published_at) AS minute, 1 AS published, 0 AS dead"
                            + " FROM " + history + " WHERE published_at >= ?"
                            + " UNION ALL SELECT date_trunc('minute', published_at), 1, 0"
                            + " FROM " + table + " WHERE published_at IS NOT NULL AND published_at >= ?"
                            + " UNION ALL SELECT date_trunc('minute', dead_at), 0, 1"
                            + " FROM " + table + " WHERE dead_at IS NOT NULL AND dead_at >= ?) m"
                            + " GROUP BY minute ORDER BY minute")) {
                s.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
                for (int i = 1; i <= 3; i++) {
                    s.setTimestamp(i, Timestamp.from(since));
                }
                List<MinuteCount> minutes = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        minutes.add(new MinuteCount(instant(r, 1), r.getLong(2), r.getLong(3)));
                    }
                }
                return minutes;
            }
        });
    }

    /**
     * Re-drives one dead event: it becomes undelivered with a fresh attempt budget (attempts 0, no
     * retry time), so the relay owning its slot delivers it next, before the later events of its
     * key. {@code last_error} is kept so that the history stays visible until it is delivered.
     *
     * @return 1
     * @throws OutboxException if no dead event has this id (unknown, undelivered or published)
     */
    public int retryDead(UUID id) {
        Objects.requireNonNull(id, "id");
        return withConnection("retry dead event " + id + " of " + table, c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE " + table
                    + " SET dead_at = NULL, attempts = 0, next_attempt_at = NULL"
                    + " WHERE id = ? AND dead_at IS NOT NULL")) {
                s.setObject(1, id);
                int changed = s.executeUpdate();
                if (changed == 0) {
                    throw notDead(c, id);
                }
                return changed;
            }
        });
    }

    /**
     * Re-drives every dead event (see {@link #retryDead(UUID)}) in one statement.
     *
     * @return how many events were re-driven (0 when none was dead)
     */
    public int retryAllDead() {
        return withConnection("retry the dead events of " + table, c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE " + table
                    + " SET dead_at = NULL, attempts = 0, next_attempt_at = NULL WHERE dead_at IS NOT NULL")) {
                return s.executeUpdate();
            }
        });
    }

    /**
     * Deletes one dead event for good: it is never delivered, and the later events of its key
     * are released (delivered in order by the running relays).
     *
     * @return the event as it was when discarded; {@link DeadEvent#heldBack()} is the number of events released
     * @throws OutboxException if no dead event has this id (unknown, undelivered or published)
     */
    public DeadEvent discardDead(UUID id) {
        Objects.requireNonNull(id, "id");
        return withConnection("discard dead event " + id + " of " + table, c -> {
            // The outer query sees the table as before the DELETE, so it counts what was held back.
            try (PreparedStatement s = c.prepareStatement(
                    "WITH d AS (DELETE FROM " + table + " WHERE id = ? AND dead_at IS NOT NULL"
                            + " RETURNING id, seq, aggregatetype, aggregateid, type, attempts, last_error, dead_at)"
                            + " SELECT d.id, d.seq, d.aggregatetype, d.aggregateid, d.type, d.attempts, d.last_error,"
                            + " d.dead_at, (SELECT count(*) FROM " + table + " l WHERE l.aggregatetype = d.aggregatetype"
                            + " AND l.aggregateid = d.aggregateid AND l.seq > d.seq"
                            + " AND l.published_at IS NULL AND l.dead_at IS NULL)"
                            + " FROM d")) {
                s.setObject(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        throw notDead(c, id);
                    }
                    return deadEvent(r);
                }
            }
        });
    }

    private OutboxException notDead(Connection c, UUID id) throws SQLException {
        String state;
        // The history has no index on id: this reads it whole, which only this error message does.
        try (PreparedStatement s = c.prepareStatement("SELECT published_at IS NOT NULL FROM " + table + " WHERE id = ?"
                + " UNION ALL SELECT true FROM " + history + " WHERE id = ? LIMIT 1")) {
            s.setObject(1, id);
            s.setObject(2, id);
            try (ResultSet r = s.executeQuery()) {
                state = !r.next() ? "no event with this id exists in " + table + " or " + history
                        + " (a wrong id, or already discarded or published and purged)"
                        : r.getBoolean(1) ? "it was published" + " (use replay to send it again)"
                        : "it is undelivered (the relay is still trying; see relay status)";
            }
        }
        return new OutboxException("event " + id + " is not dead: " + state + ". List dead events with relay dead list.");
    }

    private static DeadEvent deadEvent(ResultSet r) throws SQLException {
        return new DeadEvent(r.getObject(1, UUID.class), r.getLong(2), r.getString(3), r.getString(4),
                r.getString(5), r.getInt(6), r.getString(7), instant(r, 8), r.getLong(9));
    }

    // ---------------------------------------------------------------------------------- replay

    /**
     * How many events {@link #replay} would re-queue now, for a progress bar's total or a dry run.
     */
    public long countReplayable(ReplayRequest request) {
        Objects.requireNonNull(request, "request");
        return withConnection("count the replayable events of " + table, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT (SELECT count(*) FROM " + table
                    + " WHERE published_at IS NOT NULL" + REPLAY_FILTER + ")"
                    + " + (SELECT count(*) FROM " + history + " WHERE true" + REPLAY_FILTER + ")")) {
                bindFilter(s, 1, request);
                bindFilter(s, 7, request);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return r.getLong(1);
                }
            }
        });
    }

    /** {@link #replay(ReplayRequest, LongConsumer)} without progress reports. */
    public ReplayResult replay(ReplayRequest request) {
        return replay(request, n -> { });
    }

    /**
     * Sends published events again: moves the events selected by {@code request} that are
     * published now from the history back to the queue with their id and {@code seq} and a fresh
     * delivery state (attempts 0), so the running relays deliver them again, in write order per
     * key, like new events. Undelivered and dead events are left alone. Consumers see duplicates
     * by design: they must deduplicate on the event id (the inbox does).
     *
     * <p>The history is moved in one statement, so an event is re-queued at most once per call
     * even when a relay re-publishes it while the replay still runs, and events published
     * meanwhile are not chased. Events marked published in place by relays before V7 (still in
     * the queue table) are re-queued first, in batches of at most {@value #REPLAY_BATCH_SIZE}
     * in write order, each its own transaction, walking {@code seq} up to the highest
     * {@code seq} that existed at the start.
     *
     * <p><b>Only retained events can be replayed.</b> With {@code relay.retention=0} events are
     * deleted as they are published, otherwise purged once older than the retention; such events
     * are gone and nothing matches (the result's {@code requeued} is 0).
     *
     * @param progress called after each transaction with the number of events re-queued so far
     * @return what was re-queued; pass it to {@link #replayPending(ReplayResult)} to follow delivery
     */
    public ReplayResult replay(ReplayRequest request, LongConsumer progress) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(progress, "progress");
        return withConnection("replay " + request.describe() + " of " + table, c -> {
            long maxSeq;
            try (PreparedStatement s = c.prepareStatement("SELECT coalesce(max(seq), 0) FROM " + table);
                 ResultSet r = s.executeQuery()) {
                r.next();
                maxSeq = r.getLong(1);
            }
            commitBatch(c);
            // First the events marked published in place (by relays before V7), if any are left.
            // The batch is chosen by seq (unique index) and re-checked by the UPDATE, which
            // re-evaluates published_at IS NOT NULL should a concurrent transaction change a row.
            String sql = "WITH batch AS (SELECT id, seq FROM " + table
                    + "   WHERE seq > ? AND seq <= ? AND published_at IS NOT NULL" + REPLAY_FILTER
                    + "   ORDER BY seq LIMIT " + REPLAY_BATCH_SIZE + "),"
                    + " requeued AS (UPDATE " + table + " e"
                    + "   SET published_at = NULL, attempts = 0, next_attempt_at = NULL, last_error = NULL"
                    + "   FROM batch b WHERE e.id = b.id AND e.published_at IS NOT NULL RETURNING e.seq)"
                    + " SELECT (SELECT count(*) FROM batch), (SELECT max(seq) FROM batch),"
                    + " (SELECT count(*) FROM requeued), (SELECT min(seq) FROM requeued), (SELECT max(seq) FROM requeued)";
            long cursor = 0;
            long total = 0;
            long firstSeq = 0;
            long lastSeq = 0;
            try (PreparedStatement s = c.prepareStatement(sql)) {
                while (true) {
                    s.setLong(1, cursor);
                    s.setLong(2, maxSeq);
                    bindFilter(s, 3, request);
                    long selected;
                    try (ResultSet r = s.executeQuery()) {
                        r.next();
                        selected = r.getLong(1);
                        if (selected == 0) {
                            break;
                        }
                        cursor = r.getLong(2);
                        long done = r.getLong(3);
                        if (done > 0) {
                            firstSeq = firstSeq == 0 ? r.getLong(4) : firstSeq;
                            lastSeq = r.getLong(5);
                            total += done;
                        }
                    }
                    commitBatch(c);
                    progress.accept(total);
                    if (selected < REPLAY_BATCH_SIZE) {
                        break;
                    }
                }
            }
            // Then the history, in one statement (it has no index to walk in batches).
            long moved;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT requeued, first_seq, last_seq FROM " + quotedSchema + ".event_history_replay(?, ?, ?, ?)")) {
                s.setTimestamp(1, Timestamp.from(request.from()));
                s.setTimestamp(2, Timestamp.from(request.to()));
                s.setString(3, request.type());
                s.setString(4, request.aggregateType());
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    moved = r.getLong(1);
                    if (moved > 0) {
                        firstSeq = firstSeq == 0 ? r.getLong(2) : Math.min(firstSeq, r.getLong(2));
                        lastSeq = Math.max(lastSeq, r.getLong(3));
                        total += moved;
                    }
                }
            }
            commitBatch(c);
            if (moved > 0) {
                progress.accept(total);
            }
            return new ReplayResult(request, total, firstSeq, lastSeq);
        });
    }

    /**
     * How many events of a replay are still waiting for delivery: the undelivered events that match
     * the replay's request within the {@code seq} range it re-queued. Poll it to show the relays
     * catching up; it reaches 0 when all were delivered again. Events of that range that die
     * on the way are not counted here: they show in {@link #deadEvents(int)}. (Events of the range
     * that were undelivered before the replay, rare for a range in the past, are counted too.)
     */
    public long replayPending(ReplayResult replay) {
        Objects.requireNonNull(replay, "replay");
        if (replay.requeued() == 0) {
            return 0;
        }
        return withConnection("count the pending replayed events of " + table, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM " + table
                    + " WHERE published_at IS NULL AND dead_at IS NULL AND seq BETWEEN ? AND ?" + REPLAY_FILTER)) {
                s.setLong(1, replay.firstSeq());
                s.setLong(2, replay.lastSeq());
                bindFilter(s, 3, replay.request());
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    return r.getLong(1);
                }
            }
        });
    }

    private static final String REPLAY_FILTER = " AND occurred_at >= ? AND occurred_at < ?"
            + " AND (?::text IS NULL OR type = ?) AND (?::text IS NULL OR aggregatetype = ?)";

    private static void bindFilter(PreparedStatement s, int first, ReplayRequest request) throws SQLException {
        s.setTimestamp(first, Timestamp.from(request.from()));
        s.setTimestamp(first + 1, Timestamp.from(request.to()));
        bindOptional(s, first + 2, request.type());
        bindOptional(s, first + 4, request.aggregateType());
    }

    private static void bindOptional(PreparedStatement s, int index, String value) throws SQLException {
        if (value == null) {
            s.setNull(index, Types.VARCHAR);
            s.setNull(index + 1, Types.VARCHAR);
        } else {
            s.setString(index, value);
            s.setString(index + 1, value);
        }
    }

    // ----------------------------------------------------------------------------------- purge

    /** {@link #purgePublished(Duration, int, LongConsumer)} without progress reports. */
    public long purgePublished(Duration olderThan, int batchSize) {
        return purgePublished(olderThan, batchSize, n -> { });
    }

    /**
     * Deletes published events published more than {@code olderThan} ago (measured on the database's
     * clock), exactly, not by the day as the relays' retention does: drops the history's days
     * that are older whole, then deletes the older part of the days left in one statement, then
     * events marked published in place by relays before V7, {@code batchSize} rows per
     * statement; each step its own transaction. Undelivered and dead events are never deleted.
     * Purged events can no longer be replayed.
     *
     * @param olderThan zero or more; zero deletes every published event
     * @param batchSize rows per statement for events marked in place, 1 to 100,000
     * @param progress called after each transaction with the number of events deleted so far
     * @return how many events were deleted
     */
    public long purgePublished(Duration olderThan, int batchSize, LongConsumer progress) {
        if (olderThan == null || olderThan.isNegative()) {
            throw new OutboxException("purge olderThan must be zero or positive (was " + olderThan + ")");
        }
        if (batchSize < 1 || batchSize > 100_000) {
            throw new OutboxException("purge batchSize must be between 1 and 100000 (was " + batchSize + ")");
        }
        Objects.requireNonNull(progress, "progress");
        return withConnection("purge published events of " + table, c -> {
            Instant cutoff;
            try (PreparedStatement s = c.prepareStatement("SELECT now()"); ResultSet r = s.executeQuery()) {
                r.next();
                cutoff = instant(r, 1).minus(olderThan);
            }
            long total = store.dropHistory(c, cutoff);
            commitBatch(c);
            progress.accept(total);
            total += store.deleteHistory(c, cutoff);
            commitBatch(c);
            progress.accept(total);
            while (true) {
                int deleted = store.purgeMarkedInPlace(c, cutoff, batchSize);
                commitBatch(c);
                total += deleted;
                progress.accept(total);
                if (deleted < batchSize) {
                    return total;
                }
            }
        });
    }

    // ------------------------------------------------------------------------------- plumbing

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T withConnection(String action, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            try {
                T result = work.run(c);
                commitBatch(c);
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    if (!c.getAutoCommit()) {
                        c.rollback();
                    }
                } catch (SQLException rollbackFailed) {
                    e.addSuppressed(rollbackFailed); // report the first failure, not the follow-up
                }
                throw e;
            }
        } catch (SQLException e) {
            throw SqlErrors.translate(action, schema, e);
        }
    }

    /** Ends the current transaction when the connection is not in auto-commit mode. */
    private static void commitBatch(Connection c) throws SQLException {
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        OffsetDateTime t = r.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
