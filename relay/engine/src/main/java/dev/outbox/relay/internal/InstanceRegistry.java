package dev.outbox.relay.internal;

import dev.outbox.core.internal.SqlIdentifiers;
import dev.outbox.relay.RelayState;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * This relay's row in {@code <schema>.relay_instance}: its own state ({@link RelayState}), so that
 * {@code relay status} in another process can show "transport paused since …, last error …".
 *
 * <p>The row is keyed by the backend pid of the relay's session. It says nothing about liveness:
 * readers join it with the sessions that hold a membership lock ({@link SlotOwnership}), so the
 * row of a crashed relay is ignored at once and deleted by the next relay that opens a session.
 *
 * <p>Cost: a write only when the state changed (connect, pause, resume, …), each in its own short
 * transaction between batches, never inside the claim → send → mark transaction; checking for a
 * change is a reference comparison, so a batch costs no extra round trip.
 *
 * <p>The table is a convenience, not a guarantee: when it is missing (sql/V5 not applied yet) or
 * the role may not write it, the relay says so once and keeps delivering without it. Other
 * database errors are thrown: they mean the session is unusable. Used by the loop thread only.
 */
final class InstanceRegistry {
    private static final System.Logger LOG = RelayLogs.logger("dev.outbox.relay");
    /** The table's CHECK on {@code last_error}. */
    static final int MAX_ERROR_LENGTH = 2000;

    private final String table;
    private final String instanceName;
    private final int memberClass;
    private boolean usable = true;
    private boolean warned;
    /** What this session's row holds now; {@code null} when it has none. */
    private RelayState written;

    InstanceRegistry(String schema, String instanceName, int memberClass) {
        this.table = SqlIdentifiers.quote("schema", schema) + ".relay_instance";
        this.instanceName = instanceName;
        this.memberClass = memberClass;
    }

    /**
     * Deletes the rows of sessions that hold no membership lock (relays that are gone) and any
     * row under this session's pid (left by a dead session whose pid was reused), then commits.
     * Call on a new session before it takes its membership lock: then no reader ever joins this
     * session with another's row, and no live relay's row is deleted (a row is written only
     * after its session holds the lock).
     */
    void cleanUp(Connection c) throws SQLException {
        usable = true; // a new session tries again: the migration may have been applied meanwhile
        written = null;
        execute(c, "DELETE FROM " + table + " WHERE pid = pg_backend_pid() OR pid NOT IN ("
                + "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
                + " AND l.pid IS NOT NULL AND l.classid::bigint = ?"
                + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
                s -> s.setLong(1, memberClass));
    }

    /** Writes {@code state} to this session's row if the row does not hold it yet; own transaction. */
    void publish(Connection c, RelayState state) throws SQLException {
        if (state == written || !usable) {
            return; // RelayState is immutable and replaced on every change: same object, same row
        }
        execute(c, "INSERT INTO " + table + " (pid, name, phase, since, last_error, updated_at)"
                + " VALUES (pg_backend_pid(), ?, ?, ?, ?, now())"
                + " ON CONFLICT (pid) DO UPDATE SET name = EXCLUDED.name, phase = EXCLUDED.phase,"
                + " since = EXCLUDED.since, last_error = EXCLUDED.last_error, updated_at = now()", s -> {
                    s.setString(1, instanceName);
                    s.setString(2, state.phase().name());
                    s.setObject(3, OffsetDateTime.ofInstant(state.since(), ZoneOffset.UTC));
                    s.setString(4, SessionFailure.truncate(state.lastError(), MAX_ERROR_LENGTH));
                });
        if (usable) {
            written = state;
        }
    }

    /**
     * Deletes this session's row, in its own transaction, before a relay stopping cleanly releases
     * its locks (a failure here must not keep the caller from releasing them).
     */
    void leave(Connection c) throws SQLException {
        if (usable && written != null) {
            execute(c, "DELETE FROM " + table + " WHERE pid = pg_backend_pid()", s -> { });
        }
        written = null;
    }

    /** The session is gone, and with it the meaning of its row. */
    void sessionEnded() {
        written = null;
    }

    @FunctionalInterface
    private interface Parameters {
        void bind(PreparedStatement s) throws SQLException;
    }

    /** Runs one statement in a transaction of its own; a table that cannot be used is reported once and skipped. */
    private void execute(Connection c, String sql, Parameters parameters) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            parameters.bind(s);
            s.execute();
            c.commit();
        } catch (SQLException e) {
            if (!tableUnusable(e)) {
                throw e;
            }
            c.rollback();
            usable = false;
            if (!warned) {
                warned = true;
                LOG.log(Level.WARNING, "relay state is not shown by relay status: cannot write " + table
                        + "; apply sql/V5__relay_instance.sql and grant outbox_relay {0}", LogFields.of(
                        "instance", instanceName, "sql_state", e.getSQLState(),
                        "error", SessionFailure.clean(String.valueOf(e.getMessage()))));
            }
        }
    }

    /** Missing table or schema, missing privilege, a column of another version: not a session problem. */
    private static boolean tableUnusable(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("42") || state.equals("3F000"));
    }
}
