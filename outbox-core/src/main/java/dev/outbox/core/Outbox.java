package dev.outbox.core;

import dev.outbox.core.internal.JsonCodec;
import dev.outbox.core.internal.SqlErrors;
import dev.outbox.core.internal.SqlIdentifiers;
import dev.outbox.core.spi.ContextHeaders;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * <p><b>Context.</b> An event without a {@code traceparent} header gets the headers of the
 * current context ({@code traceparent}, {@code tracestate} of the current span) from the
 * {@link ContextHeaders} installed on the class path, such as {@code outbox-opentelemetry}'s;
 * headers the event has always win. With none installed nothing is added, at no cost.
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
    private static final System.Logger LOG = System.getLogger("dev.outbox.core");
    /** A failing context is reported at WARNING once per JVM, then at DEBUG: it may fail for every event. */
    private static final AtomicBoolean CONTEXT_FAILURE_REPORTED = new AtomicBoolean();

    private final String schema;
    private final String table;
    private final String insertSql;
    private final String findSql;
    /** Null when no context headers are supplied: then appending does exactly what it did without them. */
    private final ContextHeaders context;

    private Outbox(Builder builder) {
        this.schema = builder.schema;
        this.context = builder.contextSet ? builder.context : Installed.CONTEXT;
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
            OutboxEvent e = requireEvent(event, "events[" + list.size() + "]");
            list.add(context == null ? e : withContext(e));
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

    /** The event with the current context's headers; unchanged when it has a traceparent or the context fails. */
    private OutboxEvent withContext(OutboxEvent event) {
        if (event.headers().containsKey(OutboxEvent.TRACEPARENT)) {
            return event; // explicit trace context wins, tracestate included (it belongs to its traceparent)
        }
        try {
            Map<String, String> current = context.current();
            return current == null || current.isEmpty() ? event : event.withContext(current);
        } catch (RuntimeException e) {
            boolean first = CONTEXT_FAILURE_REPORTED.compareAndSet(false, true);
            LOG.log(first ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                    "event " + event.id() + " written without context headers: " + context.getClass().getName()
                            + " failed: " + e.getMessage() + (first ? " (repeats are logged at DEBUG)" : ""));
            return event;
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
        private ContextHeaders context;
        private boolean contextSet;

        private Builder() {
        }

        /**
         * Where the headers of the current context come from (default: those installed as
         * services, see {@link ContextHeaders}); {@link ContextHeaders#none()} adds none.
         */
        public Builder contextHeaders(ContextHeaders contextHeaders) {
            if (contextHeaders == null) {
                throw new OutboxException("outbox.contextHeaders must not be null; pass ContextHeaders.none() for none");
            }
            this.context = contextHeaders;
            this.contextSet = true;
            return this;
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

    /** The {@link ContextHeaders} installed as services, looked up once per JVM; null for none. */
    private static final class Installed {
        static final ContextHeaders CONTEXT = load();

        private static ContextHeaders load() {
            List<ContextHeaders> found = new ArrayList<>();
            ServiceLoader.load(ContextHeaders.class, ContextHeaders.class.getClassLoader()).forEach(found::add);
            if (found.isEmpty()) {
                return null;
            }
            if (found.size() == 1) {
                return found.get(0);
            }
            return () -> { // in class-path order; an earlier one's header wins
                Map<String, String> merged = new LinkedHashMap<>();
                for (ContextHeaders c : found) {
                    c.current().forEach(merged::putIfAbsent);
                }
                return merged;
            };
        }
    }
}
