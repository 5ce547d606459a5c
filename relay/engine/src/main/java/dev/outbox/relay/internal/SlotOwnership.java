package dev.outbox.relay.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which slots this relay instance owns, held as session-level advisory locks on the relay's one
 * database session. Ownership needs no lease table and no clocks: it ends with the session, so
 * a crashed instance's slots are free as soon as PostgreSQL notices the connection is gone, and
 * an instance whose session ended cannot mark anything through it (fencing).
 *
 * <p>Each instance also holds a membership lock (keyed by its backend pid), so every instance
 * can count the live ones in {@code pg_locks} and take its fair share, {@code ceil(64 / n)}:
 * an instance above its share releases slots between batches, one below takes free ones.
 *
 * <p>Lock keys are two 32-bit ints: a class derived from the schema name (two outbox schemas in
 * one database do not collide) and the slot number or pid.
 */
public final class SlotOwnership {
    /** Relay sessions set {@code application_name} to this prefix + their instance name, so tools can name them. */
    public static final String APPLICATION_NAME_PREFIX = "outbox-relay:";

    private final int slotClass;
    private final int memberClass;
    private final Set<Integer> owned = new TreeSet<>();

    public SlotOwnership(String schema) {
        this.slotClass = lockClass(schema + ".relay.slot");
        this.memberClass = lockClass(schema + ".relay.member");
    }

    /** Lock classes are positive so that they read the same in pg_locks (an oid column). */
    static int lockClass(String name) {
        return name.hashCode() & 0x7fffffff;
    }

    public int slotClass() {
        return slotClass;
    }

    public int memberClass() {
        return memberClass;
    }

    /** The slots owned now (a copy). */
    public synchronized Set<Integer> owned() {
        return Set.copyOf(owned);
    }

    /** Registers this session as a live instance. Call once per new session. */
    public synchronized void join(Connection c) throws SQLException {
        owned.clear();
        try (PreparedStatement s = c.prepareStatement("SELECT pg_try_advisory_lock(?, pg_backend_pid())")) {
            s.setInt(1, memberClass);
            try (ResultSet r = s.executeQuery()) {
                r.next();
            }
        }
    }

    /** The session is gone and its locks with it. */
    public synchronized void lost() {
        owned.clear();
    }

    /**
     * Takes or releases slots to reach this instance's fair share. Call between batches only,
     * outside a transaction that holds claimed rows.
     */
    public synchronized void rebalance(Connection c) throws SQLException {
        int members;
        Set<Integer> taken = new HashSet<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT classid::bigint, objid::bigint, pid = pg_backend_pid() FROM pg_locks"
                        + " WHERE locktype = 'advisory' AND granted AND objsubid = 2"
                        + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                        + " AND classid::bigint IN (?, ?)")) {
            s.setLong(1, slotClass);
            s.setLong(2, memberClass);
            members = 0;
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    if (r.getLong(1) == memberClass) {
                        members++;
                    } else if (!r.getBoolean(3)) {
                        taken.add((int) r.getLong(2));
                    }
                }
            }
        }
        FairShare change = FairShare.plan(EventStore.SLOTS, members, owned, taken, ThreadLocalRandom.current());
        if (!change.release().isEmpty()) {
            unlock(c, change.release());
        } else {
            tryLock(c, change.take());
        }
    }

    /** Releases every slot (before a graceful exit), keeping the session usable. */
    public synchronized void releaseAll(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_unlock_all()")) {
            s.execute();
        }
        owned.clear();
    }

    /** Tries to lock the slots, in one round trip; keeps those it got. */
    private void tryLock(Connection c, List<Integer> slots) throws SQLException {
        if (slots.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement(
                "SELECT slot FROM unnest(?::int[]) AS slot WHERE pg_try_advisory_lock(?, slot)")) {
            s.setArray(1, c.createArrayOf("int4", slots.toArray()));
            s.setInt(2, slotClass);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    owned.add(r.getInt(1));
                }
            }
        }
    }

    /** Releases the slots, in one round trip. */
    private void unlock(Connection c, List<Integer> slots) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_unlock(?, slot) FROM unnest(?::int[]) AS slot")) {
            s.setInt(1, slotClass);
            s.setArray(2, c.createArrayOf("int4", slots.toArray()));
            s.execute();
        }
        slots.forEach(owned::remove);
    }
}
