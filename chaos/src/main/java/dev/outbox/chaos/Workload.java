package dev.outbox.chaos;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The application side: inserts events with plain SQL, the contract INSERT of sql/README.md
 * (as {@code outbox_app}), one transaction per round of one event per key. Each payload carries
 * its key and per-key number ({@code {"k": "k17", "n": 5}}) so the readers can check order.
 * It remembers when each event was committed (for the recovery time) and rides out a database
 * restart the way an application would: reconnect and retry, after checking whether the commit
 * that failed had in fact happened.
 */
final class Workload implements AutoCloseable {
    static final String INSERT_ROUND = """
            INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)
            SELECT ?, 'k' || g, 'ChaosHappened', jsonb_build_object('k', 'k' || g, 'n', ?::int)
            FROM generate_series(0, ? - 1) AS g""";

    private final PrivatePostgres pg;
    private final String database;
    final String aggregatetype;
    private final Settings settings;
    private final long[] roundCommittedAt;
    private final Map<String, Long> lateCommittedAt = new ConcurrentHashMap<>();
    private final AtomicInteger committedRounds = new AtomicInteger();
    private final Thread thread;
    private volatile RuntimeException failure;
    private Connection connection;

    Workload(PrivatePostgres pg, String database, String aggregatetype, Settings settings) {
        this.pg = pg;
        this.database = database;
        this.aggregatetype = aggregatetype;
        this.settings = settings;
        this.roundCommittedAt = new long[settings.rounds()];
        this.thread = new Thread(this::write, "workload-" + aggregatetype);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Waits until {@code round} rounds are committed: a point mid-drain to inject a fault at. */
    void awaitRounds(int rounds) {
        Await.until(rounds + " rounds written", 300_000, () -> {
            rethrow();
            return committedRounds.get() >= rounds;
        });
    }

    void awaitDone() {
        awaitRounds(settings.rounds());
    }

    private void rethrow() {
        if (failure != null) {
            throw failure;
        }
    }

    /** When event n of key was committed (as the writer saw it: right after its commit returned). */
    long committedAt(String key, int n) {
        Long late = lateCommittedAt.get(key + "/" + n);
        if (late != null) {
            return late;
        }
        return n < roundCommittedAt.length ? roundCommittedAt[n] : Long.MAX_VALUE;
    }

    private void write() {
        long start = System.currentTimeMillis();
        try {
            for (int round = 0; round < settings.rounds(); round++) {
                long due = start + round * settings.roundMillis();
                long wait = due - System.currentTimeMillis();
                if (wait > 0) {
                    Await.pause(wait);
                }
                writeRound(round);
                roundCommittedAt[round] = System.currentTimeMillis();
                committedRounds.incrementAndGet();
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            closeConnection();
        }
    }

    private void writeRound(int round) {
        long deadline = System.currentTimeMillis() + 120_000;
        while (true) {
            boolean committing = false;
            try {
                if (connection == null) {
                    connection = pg.connect(database);
                    try (Statement s = connection.createStatement()) {
                        s.execute("SET ROLE outbox_app");
                    }
                    connection.setAutoCommit(false);
                }
                try (PreparedStatement s = connection.prepareStatement(INSERT_ROUND)) {
                    s.setString(1, aggregatetype);
                    s.setInt(2, round);
                    s.setInt(3, settings.keys());
                    s.executeUpdate();
                }
                committing = true;
                connection.commit();
                return;
            } catch (SQLException e) {
                closeConnection();
                // The connection died during COMMIT: the round may or may not be in.
                if (committing && roundExists(round)) {
                    return;
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("the workload could not write round " + round + ": " + e.getMessage(), e);
                }
                Await.pause(100);
            }
        }
    }

    private boolean roundExists(int round) {
        long deadline = System.currentTimeMillis() + 120_000;
        while (true) {
            try (Connection c = pg.connect(database);
                    PreparedStatement s = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM outbox.event "
                            + "WHERE aggregatetype = ? AND aggregateid = 'k0' AND payload->>'n' = ?)")) {
                s.setString(1, aggregatetype);
                s.setString(2, String.valueOf(round));
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    return rs.getBoolean(1);
                }
            } catch (SQLException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("cannot reach the database to check round " + round, e);
                }
                Await.pause(100);
            }
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // it is gone anyway
            }
            connection = null;
        }
    }

    /**
     * Opens a transaction that inserts event 0 of {@code keys} keys named {@code prefix-k<i>} and
     * keeps it open: its rows get low sequence numbers while later rounds commit and are relayed.
     */
    LateTransaction holdOpen(String prefix, int keys) throws SQLException {
        Connection c = pg.connect(database);
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL ROLE outbox_app");
        }
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)
                SELECT ?, ? || '-k' || g, 'ChaosHappened', jsonb_build_object('k', ? || '-k' || g, 'n', ?::int)
                FROM generate_series(0, ? - 1) AS g""")) {
            s.setString(1, aggregatetype);
            s.setString(2, prefix);
            s.setString(3, prefix);
            s.setInt(4, 0);
            s.setInt(5, keys);
            s.executeUpdate();
        }
        long minSeq;
        try (Statement s = c.createStatement()) {
            s.execute("RESET ROLE");
            try (ResultSet rs = s.executeQuery("SELECT min(seq) FROM outbox.event WHERE aggregatetype = '"
                    + aggregatetype + "' AND aggregateid LIKE '" + prefix + "-k%'")) {
                rs.next();
                minSeq = rs.getLong(1);
            }
        }
        return new LateTransaction(c, prefix, keys, minSeq);
    }

    /** A transaction held open by {@link #holdOpen}. */
    final class LateTransaction {
        private final Connection connection;
        private final String prefix;
        private final int keys;
        final long minSeq;

        private LateTransaction(Connection connection, String prefix, int keys, long minSeq) {
            this.connection = connection;
            this.prefix = prefix;
            this.keys = keys;
            this.minSeq = minSeq;
        }

        /** How many events with a higher seq the relay published while this transaction was open. */
        long overtakenBy() throws SQLException {
            try (Connection c = pg.connect(database);
                    PreparedStatement s = c.prepareStatement("SELECT count(*) FROM outbox.event_history "
                            + "WHERE seq > ?")) {
                s.setLong(1, minSeq);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }

        /** Commits, then writes event 1 of the same keys (which must arrive after event 0). */
        long commit() throws SQLException {
            connection.commit();
            long at = System.currentTimeMillis();
            connection.close();
            for (int i = 0; i < keys; i++) {
                lateCommittedAt.put(prefix + "-k" + i + "/0", at);
            }
            try (Connection c = pg.connect(database);
                    PreparedStatement s = c.prepareStatement("""
                            INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)
                            SELECT ?, ? || '-k' || g, 'ChaosHappened', jsonb_build_object('k', ? || '-k' || g, 'n', 1)
                            FROM generate_series(0, ? - 1) AS g""")) {
                s.setString(1, aggregatetype);
                s.setString(2, prefix);
                s.setString(3, prefix);
                s.setInt(4, keys);
                s.executeUpdate();
            }
            long second = System.currentTimeMillis();
            for (int i = 0; i < keys; i++) {
                lateCommittedAt.put(prefix + "-k" + i + "/1", second);
            }
            return at;
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
