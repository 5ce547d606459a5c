package dev.outbox.spring;

import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import dev.outbox.core.OutboxException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Objects;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Writes events in the current Spring-managed transaction, on the connection that transaction
 * holds: the events commit or roll back with the data the method writes beside them.
 *
 * <pre>{@code
 * @Transactional
 * public void place(Order order) {
 *     orders.insert(order);
 *     outbox.append(OutboxEvent.builder("Order", order.id(), "OrderPlaced").payload(json).build());
 * } // an exception thrown here rolls back the order and its event together
 * }</pre>
 *
 * <p>A call outside a transaction, or in a transaction that does not hold a connection of this
 * data source (one of another transaction manager), is refused with an {@link OutboxException}:
 * the event would otherwise commit on its own. The auto-configuration makes one from the
 * application's {@link DataSource}; instances are thread-safe.
 */
public final class TransactionalOutbox {
    private final Outbox outbox;
    private final DataSource dataSource;

    public TransactionalOutbox(Outbox outbox, DataSource dataSource) {
        this.outbox = Objects.requireNonNull(outbox, "outbox");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** The plain outbox, for code that has a connection of its own. */
    public Outbox outbox() {
        return outbox;
    }

    /** Writes one event in the current transaction. */
    public void append(OutboxEvent event) {
        inCurrentTransaction(dataSource, "TransactionalOutbox.append", c -> outbox.append(c, event));
    }

    /** Writes events in the current transaction, in their iteration order, in one batched round trip. */
    public void appendAll(Collection<OutboxEvent> events) {
        inCurrentTransaction(dataSource, "TransactionalOutbox.appendAll", c -> outbox.appendAll(c, events));
    }

    /**
     * Runs {@code work} on the connection of the current Spring-managed transaction.
     *
     * @throws OutboxException if no transaction is active or it holds no connection of {@code dataSource}
     */
    static void inCurrentTransaction(DataSource dataSource, String what, Consumer<Connection> work) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new OutboxException(what + " needs a Spring-managed transaction and none is active: call it from a"
                    + " @Transactional method (or inside TransactionTemplate.execute), so that it commits or rolls"
                    + " back with the data written beside it");
        }
        Connection connection = DataSourceUtils.getConnection(dataSource);
        try {
            if (connection.getAutoCommit()) {
                throw new OutboxException(what + ": the active transaction holds no connection of the outbox's"
                        + " DataSource (is it run by a transaction manager of another DataSource?), so the write would"
                        + " commit on its own. Use a transaction manager of the DataSource the outbox writes to");
            }
            work.accept(connection);
        } catch (SQLException e) {
            throw new OutboxException(what + ": cannot read the connection's auto-commit mode: " + e.getMessage(), e);
        } finally {
            DataSourceUtils.releaseConnection(connection, dataSource);
        }
    }
}
