package dev.outbox.sample.orders;

import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import dev.outbox.core.jdbi.JdbiOutbox;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.postgresql.util.PSQLException;

/**
 * Places, cancels and reads orders. Called by {@link OrderApi}. Every state change writes the
 * business rows and its event in one transaction: both commit or neither does. A refused request
 * throws {@link OrderRejectedException} and leaves nothing behind; a database failure passes
 * through as Jdbi's exception (the API answers 500), also with nothing written.
 */
public final class OrderService {
    private final Jdbi jdbi;
    private final JdbiOutbox outbox;

    public OrderService(Jdbi jdbi, Outbox outbox) {
        this.jdbi = jdbi;
        this.outbox = JdbiOutbox.of(outbox);
    }

    /** Places an order (version 1) and writes {@code OrderPlaced}. */
    public OrderChange place(PlaceOrder order) {
        UUID orderId = UUID.randomUUID();
        try {
            // tag::place[]
            return jdbi.inTransaction(handle -> {
                handle.createUpdate("INSERT INTO sample.orders (id, customer, email, status, version)"
                                + " VALUES (:id, :customer, :email, 'PLACED', 1)")
                        .bind("id", orderId)
                        .bind("customer", order.customer())
                        .bind("email", order.email())
                        .execute();
                PreparedBatch lines = handle.prepareBatch(
                        "INSERT INTO sample.order_lines (order_id, line_no, sku, quantity) VALUES (:order, :no, :sku, :qty)");
                for (int i = 0; i < order.lines().size(); i++) {
                    OrderLine line = order.lines().get(i);
                    lines.bind("order", orderId).bind("no", i + 1).bind("sku", line.sku()).bind("qty", line.quantity()).add();
                }
                lines.execute();
                OutboxEvent placed = OrderEvents.placed(orderId, order);
                outbox.append(handle, placed); // same transaction as the order rows
                return new OrderChange(orderId, "PLACED", 1, placed.id());
            });
            // end::place[]
        } catch (RuntimeException e) {
            // The SKU foreign key is checked at commit, after the order and its event were
            // inserted: the commit fails, so the order, its lines and the event all roll back.
            throw unknownSku(e).orElseThrow(() -> e);
        }
    }

    /** Cancels a placed order (version + 1) and writes {@code OrderCancelled}. */
    public OrderChange cancel(UUID orderId) {
        // tag::cancel[]
        return jdbi.inTransaction(handle -> {
            // The row lock taken by the UPDATE serializes concurrent changes of one order.
            Optional<Integer> version = handle.createQuery("UPDATE sample.orders SET status = 'CANCELLED',"
                            + " version = version + 1, updated_at = now()"
                            + " WHERE id = :id AND status = 'PLACED' RETURNING version")
                    .bind("id", orderId)
                    .mapTo(Integer.class)
                    .findOne();
            if (version.isEmpty()) {
                boolean exists = handle.createQuery("SELECT true FROM sample.orders WHERE id = :id")
                        .bind("id", orderId).mapTo(Boolean.class).findOne().isPresent();
                throw exists ? OrderRejectedException.conflict("order " + orderId + " is already cancelled")
                        : OrderRejectedException.notFound("no order " + orderId);
            }
            OutboxEvent cancelled = OrderEvents.cancelled(orderId, version.get());
            outbox.append(handle, cancelled);
            return new OrderChange(orderId, "CANCELLED", version.get(), cancelled.id());
        });
        // end::cancel[]
    }

    /** The order, or empty if there is none with this id. */
    public Optional<Order> find(UUID orderId) {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT id, customer, email, status, version FROM sample.orders WHERE id = :id")
                .bind("id", orderId)
                .map((rs, ctx) -> new Order(rs.getObject("id", UUID.class), rs.getString("customer"),
                        rs.getString("email"), rs.getString("status"), rs.getInt("version"),
                        handle.createQuery("SELECT sku, quantity FROM sample.order_lines WHERE order_id = :id ORDER BY line_no")
                                .bind("id", orderId)
                                .map((l, c) -> new OrderLine(l.getString("sku"), l.getInt("quantity")))
                                .list()))
                .findOne());
    }

    private static Optional<OrderRejectedException> unknownSku(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "23503".equals(sql.getSQLState())) {
                String detail = t instanceof PSQLException p && p.getServerErrorMessage() != null
                        ? p.getServerErrorMessage().getDetail() : sql.getMessage();
                return Optional.of(OrderRejectedException.invalid("lines: unknown sku (" + detail + ")"));
            }
        }
        return Optional.empty();
    }
}
