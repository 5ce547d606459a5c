package dev.outbox.core;

import dev.outbox.core.internal.SqlErrors;
import dev.outbox.core.internal.SqlIdentifiers;
import dev.outbox.core.internal.StoredText;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * Makes a consumer's handling of an event idempotent: {@link #receiveOnce} records
 * {@code (consumer, event id)} in the inbox table and runs the work only the first time, in the
 * caller's transaction. Delivery is at least once, so the same event may arrive again (a relay
 * restart, a broker redelivery); with the inbox its effect happens once.
 *
 * <pre>{@code
 * Inbox inbox = Inbox.create("inventory");
 * connection.setAutoCommit(false);
 * inbox.receiveOnce(connection, eventId, c -> reserveStock(c, order));
 * connection.commit();
 * }</pre>
 * With Jdbi, use {@link dev.outbox.core.jdbi.JdbiInbox}.
 *
 * <p><b>Concurrency.</b> Two transactions receiving the same event at once: the second one's
 * insert waits for the first to finish. If the first commits, the second skips the work; if it
 * rolls back, the second does the work. Exactly one effect commits.
 *
 * <p><b>Failures.</b> If the work throws, the exception passes through unchanged and the caller
 * must roll back: the inbox row goes with it, so a redelivery runs the work again.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Inbox {
    /** Default number of rows {@link #purgeOlderThan} deletes per statement. */
    public static final int DEFAULT_PURGE_BATCH_SIZE = 1000;

    private final String consumer;
    private final String schema;
    private final int purgeBatchSize;
    private final String table;
    private final String insertSql;
    private final String purgeSql;

    private Inbox(Builder builder) {
        this.consumer = builder.consumer;
        this.schema = builder.schema;
        this.purgeBatchSize = builder.purgeBatchSize;
        this.table = SqlIdentifiers.quote("inbox.schema", schema) + ".inbox";
        this.insertSql = "INSERT INTO " + table + " (consumer, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
        this.purgeSql = "DELETE FROM " + table + " WHERE consumer = ? AND event_id IN ("
                + "SELECT event_id FROM " + table + " WHERE consumer = ? AND processed_at < now() - ? * interval '1 millisecond'"
                + " ORDER BY processed_at LIMIT ?)";
    }

    /** An inbox for {@code consumer} in the default schema. */
    public static Inbox create(String consumer) {
        return builder(consumer).build();
    }

    /**
     * @param consumer name of the consuming component, e.g. {@code "inventory"}; each consumer
     *        processes every event once, independently of other consumers
     */
    public static Builder builder(String consumer) {
        return new Builder(consumer);
    }

    public String consumer() {
        return consumer;
    }

    /**
     * Runs {@code work} in the connection's transaction if this consumer has not processed
     * {@code eventId} before, and records it as processed in the same transaction.
     *
     * @return {@code true} if the work ran, {@code false} if the event was a duplicate
     * @throws OutboxException if the connection is in auto-commit mode (the record would commit
     *         without the work), or on a database error
     * @throws X whatever the work throws; then roll back the transaction
     */
    public <X extends Exception> boolean receiveOnce(Connection connection, UUID eventId,
                                                     ConnectionConsumer<X> work) throws X {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(work, "work");
        if (!firstDelivery(connection, eventId)) {
            return false;
        }
        work.useConnection(connection);
        return true;
    }

    private boolean firstDelivery(Connection connection, UUID eventId) {
        try {
            if (connection.getAutoCommit()) {
                throw new OutboxException("Inbox.receiveOnce needs a transaction, but the connection is in"
                        + " auto-commit mode: the inbox record would commit without the work. Call"
                        + " connection.setAutoCommit(false) first (with Jdbi: inside useTransaction/inTransaction).");
            }
            try (PreparedStatement insert = connection.prepareStatement(insertSql)) {
                insert.setString(1, consumer);
                insert.setObject(2, eventId);
                return insert.executeUpdate() == 1;
            }
        } catch (SQLException e) {
            throw SqlErrors.translate("record event " + eventId + " for consumer \"" + consumer + "\" in " + table,
                    schema, e);
        }
    }

    /**
     * Deletes this consumer's records older than {@code age}, {@link Builder#purgeBatchSize} rows
     * per statement so that no statement holds many locks for long. On a connection in
     * auto-commit mode each batch commits on its own; otherwise all run in the caller's transaction.
     *
     * <p>Keep records longer than any event can be redelivered (broker retention, relay replay
     * window): an event arriving after its record was purged is processed again.
     *
     * @return the number of records deleted
     */
    public long purgeOlderThan(Connection connection, Duration age) {
        if (age == null || age.isNegative()) {
            throw new OutboxException("inbox purge age must be >= 0 (was " + age + ")");
        }
        long total = 0;
        try (PreparedStatement delete = connection.prepareStatement(purgeSql)) {
            delete.setString(1, consumer);
            delete.setString(2, consumer);
            delete.setLong(3, age.toMillis());
            delete.setInt(4, purgeBatchSize);
            int deleted;
            do {
                deleted = delete.executeUpdate();
                total += deleted;
            } while (deleted == purgeBatchSize);
            return total;
        } catch (SQLException e) {
            throw SqlErrors.translate("purge inbox records of consumer \"" + consumer + "\" from " + table,
                    schema, e);
        }
    }

    /** Configures an {@link Inbox}; setters validate their argument. */
    public static final class Builder {
        private final String consumer;
        private String schema = Outbox.DEFAULT_SCHEMA;
        private int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;

        private Builder(String consumer) {
            // The schema's rule (inbox_consumer_check): whitespace as Java defines it, length in code points.
            if (consumer == null || StoredText.isBlank(consumer) || StoredText.length(consumer) > OutboxEvent.MAX_NAME_LENGTH) {
                throw new OutboxException("inbox.consumer must be 1 to " + OutboxEvent.MAX_NAME_LENGTH
                        + " characters, not blank (was " + (consumer == null ? "null" : '"' + consumer + '"') + ")");
            }
            this.consumer = consumer;
        }

        /** The schema holding the inbox table (default {@value Outbox#DEFAULT_SCHEMA}). */
        public Builder schema(String schema) {
            SqlIdentifiers.quote("inbox.schema", schema);
            this.schema = schema;
            return this;
        }

        /** Rows deleted per statement by {@link Inbox#purgeOlderThan}; 1 to 100000, default 1000. */
        public Builder purgeBatchSize(int purgeBatchSize) {
            if (purgeBatchSize < 1 || purgeBatchSize > 100_000) {
                throw new OutboxException("inbox.purgeBatchSize must be between 1 and 100000 (was " + purgeBatchSize + ")");
            }
            this.purgeBatchSize = purgeBatchSize;
            return this;
        }

        public Inbox build() {
            return new Inbox(this);
        }
    }
}
