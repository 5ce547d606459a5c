package dev.outbox.core;

import dev.outbox.core.internal.JsonCodec;
import dev.outbox.core.internal.SqlErrors;
import dev.outbox.core.internal.SqlIdentifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Writes events into the outbox table on the caller's connection, inside the caller's
 * transaction: the events commit or roll back with the business data written beside them.
 *
 * <pre>{@code
 * Outbox outbox = Outbox.create();
 * connection.setAutoCommit(false);
 * insertOrder(connection, order);
 * outbox.append(connection, OutboxEvent.builder("Order", order.id(), "OrderPlaced").payload(json).build());
 * connection.commit();
 * }</pre>
 *
 * <p><b>Transactions.</b> The outbox never commits, rolls back or changes the auto-commit mode
 * of the connection it is given. On a connection in auto-commit mode each call commits on its
 * own, so the event is no longer atomic with other statements: use a transaction.
 *
 * <p><b>Failures.</b> A database error is thrown as an {@link OutboxException}. PostgreSQL then
 * marks the caller's transaction as failed: roll it back. Nothing of a failed
 * {@code appendAll} call is written.
 *
 * <p>With Jdbi, use {@link dev.outbox.core.jdbi.JdbiOutbox}. (Jdbi is an optional dependency, so
 * this class has no {@code Handle} overloads: javac would need Jdbi to resolve them even for
 * plain JDBC callers.)
 *
 * <p>Instances are immutable and thread-safe; create one per schema and share it.
 */
public final class Outbox {
    /** Schema created by the migrations in {@code sql/}. */
    public static final String DEFAULT_SCHEMA = "outbox";

    private final String schema;
    private final String table;
    private final String insertSql;
    private final String findSql;

    private Outbox(Builder builder) {
        this.schema = builder.schema;
        this.table = SqlIdentifiers.quote("outbox.schema", builder.schema) + ".event";
        this.insertSql = "INSERT INTO " + table
                + " (id, aggregatetype, aggregateid, type, payload, headers, occurred_at)"
                + " VALUES (?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb), ?)";
        this.findSql = "SELECT id, aggregatetype, aggregateid, type, payload::text, headers::text, occurred_at"
                + " FROM " + table + " WHERE id = ?";
    }

    /** An outbox in the default schema {@value #DEFAULT_SCHEMA}. */
    public static Outbox create() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public String schema() {
        return schema;
    }

    /** Writes one event in the connection's current transaction, in one round trip. */
    public void append(Connection connection, OutboxEvent event) {
        appendAll(connection, List.of(requireEvent(event, "event")));
    }

    /**
     * Writes events in the connection's current transaction, in their iteration order and in
     * one batched round trip. Either all are written or, on failure, none.
     */
    public void appendAll(Connection connection, Collection<OutboxEvent> events) {
        List<OutboxEvent> list = new ArrayList<>(events.size());
        for (OutboxEvent event : events) {
            list.add(requireEvent(event, "events[" + list.size() + "]"));
        }
        if (list.isEmpty()) {
            return;
        }
        try (PreparedStatement insert = connection.prepareStatement(insertSql)) {
            if (list.size() == 1) {
                bind(insert, list.get(0));
                insert.executeUpdate();
            } else {
                for (OutboxEvent event : list) {
                    bind(insert, event);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        } catch (SQLException e) {
            throw SqlErrors.translate("append " + list.size() + " event(s) to " + table, schema, e);
        }
    }

    /**
     * Reads an event back by id, as stored (for tools and tests: the application role may only
     * insert, so this needs a role with {@code SELECT}, such as {@code outbox_relay}). A row stored
     * before {@code sql/V4__event_hardening.sql} is read whatever its size; one that breaks another
     * of the event rules (nesting, occurred_at, names) fails with an {@link OutboxException} naming it.
     */
    public Optional<OutboxEvent> find(Connection connection, UUID id) {
        try (PreparedStatement select = connection.prepareStatement(findSql)) {
            select.setObject(1, id);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                return Optional.of(OutboxEvent.builder(row.getString(2), row.getString(3), row.getString(4))
                        .id(row.getObject(1, UUID.class))
                        .stored() // rows stored before V4's size check are read whatever their size
                        .payload(row.getString(5))
                        .headers(JsonCodec.readHeaders(row.getString(6)))
                        .occurredAt(row.getObject(7, OffsetDateTime.class).toInstant())
                        .build());
            }
        } catch (SQLException e) {
            throw SqlErrors.translate("read event " + id + " from " + table, schema, e);
        }
    }

    private static void bind(PreparedStatement insert, OutboxEvent event) throws SQLException {
        insert.setObject(1, event.id());
        insert.setString(2, event.aggregateType());
        insert.setString(3, event.aggregateId());
        insert.setString(4, event.type());
        insert.setString(5, event.payloadJson());
        insert.setString(6, event.headersJson());
        insert.setObject(7, OffsetDateTime.ofInstant(event.occurredAt(), ZoneOffset.UTC));
    }

    private static OutboxEvent requireEvent(OutboxEvent event, String name) {
        if (event == null) {
            throw new OutboxException(name + " must not be null");
        }
        return event;
    }

    /** Configures an {@link Outbox}; {@link #build()} validates. */
    public static final class Builder {
        private String schema = DEFAULT_SCHEMA;

        private Builder() {
        }

        /**
         * The schema holding the outbox tables (default {@value Outbox#DEFAULT_SCHEMA}): a plain
         * lower-case SQL identifier, anything else is rejected.
         */
        public Builder schema(String schema) {
            SqlIdentifiers.quote("outbox.schema", schema);
            this.schema = schema;
            return this;
        }

        public Outbox build() {
            return new Outbox(this);
        }
    }
}
