package dev.outbox.sample.consumers;

import dev.outbox.sample.orders.OrderEvents;
import jakarta.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * The {@code inventory} consumer: reserves stock for placed orders and releases it for cancelled
 * ones, in its own tables ({@code sample.stock}, {@code sample.reservations},
 * {@code sample.inventory_orders}). Run by {@link InboxConsumer}, so a redelivered event has no
 * second effect.
 *
 * <ul>
 *   <li><b>Stock never goes negative.</b> A line is reserved whole if enough units are available,
 *       otherwise it is <em>backordered</em> (recorded, nothing reserved); the {@code CHECK
 *       (available >= 0)} constraint backs this up.</li>
 *   <li><b>Out-of-order events are reconciled by version.</b> Inventory keeps the last version
 *       applied per order. An event with a version not above it is stale and ignored. An
 *       {@code OrderCancelled} arriving before its {@code OrderPlaced} records the cancellation,
 *       so the late {@code OrderPlaced} reserves nothing.</li>
 * </ul>
 * An unknown event type is ignored (other services may add types). Database errors pass through.
 */
public final class Inventory implements EventHandler {

    @Override
    public String handle(Handle handle, ReceivedEvent event) {
        return switch (event.type()) {
            case OrderEvents.PLACED -> placed(handle, event);
            case OrderEvents.CANCELLED -> cancelled(handle, event);
            default -> "ignored (not an inventory concern)";
        };
    }

    // tag::reserve[]
    private static String placed(Handle handle, ReceivedEvent event) {
        Optional<OrderState> known = lockState(handle, event);
        if (known.isPresent()) { // OrderPlaced is v1: anything already known is newer
            return known.get().status().equals("CANCELLED")
                    ? "order was cancelled first (v" + known.get().lastVersion() + " arrived before v1): nothing reserved"
                    : "stale (v" + known.get().lastVersion() + " already applied): ignored";
        }
        List<String> done = new ArrayList<>();
        List<String> backordered = new ArrayList<>();
        for (JsonObject line : event.payload().getJsonArray("lines").getValuesAs(JsonObject.class)) {
            String sku = line.getString("sku");
            int quantity = line.getInt("quantity");
            // Reserve the whole line only if that many units are free: stock never goes negative.
            boolean reserved = handle.createUpdate("UPDATE sample.stock SET available = available - :q,"
                            + " reserved = reserved + :q WHERE sku = :sku AND available >= :q")
                    .bind("q", quantity).bind("sku", sku).execute() == 1;
            handle.createUpdate("INSERT INTO sample.reservations (order_id, sku, reserved, backordered)"
                            + " VALUES (:order, :sku, :reserved, :backordered)")
                    .bind("order", event.orderId()).bind("sku", sku)
                    .bind("reserved", reserved ? quantity : 0).bind("backordered", reserved ? 0 : quantity)
                    .execute();
            (reserved ? done : backordered).add(quantity + "×" + sku);
        }
        saveState(handle, event, "RESERVED");
        return (done.isEmpty() ? "" : "reserved " + String.join(", ", done))
                + (done.isEmpty() || backordered.isEmpty() ? "" : "; ")
                + (backordered.isEmpty() ? "" : "backordered " + String.join(", ", backordered) + " (not enough stock)");
    }
    // end::reserve[]

    private static String cancelled(Handle handle, ReceivedEvent event) {
        Optional<OrderState> known = lockState(handle, event);
        if (known.isPresent() && known.get().lastVersion() >= event.version()) {
            return "stale (v" + known.get().lastVersion() + " already applied): ignored";
        }
        if (known.isEmpty()) { // OrderCancelled overtook OrderPlaced: remember it for when v1 arrives
            saveState(handle, event, "CANCELLED");
            return "arrived before OrderPlaced: cancellation recorded, nothing to release";
        }
        int released = handle.createUpdate("UPDATE sample.stock s SET available = s.available + r.reserved,"
                        + " reserved = s.reserved - r.reserved FROM sample.reservations r"
                        + " WHERE r.order_id = :order AND r.sku = s.sku AND r.reserved > 0")
                .bind("order", event.orderId()).execute();
        handle.createUpdate("UPDATE sample.reservations SET reserved = 0, backordered = 0 WHERE order_id = :order")
                .bind("order", event.orderId()).execute();
        saveState(handle, event, "CANCELLED");
        return "released the stock of " + released + " line(s)";
    }

    private record OrderState(int lastVersion, String status) {
    }

    /** Inventory's state of the order, locked so that two events of one order apply one after the other. */
    private static Optional<OrderState> lockState(Handle handle, ReceivedEvent event) {
        return handle.createQuery("SELECT last_version, status FROM sample.inventory_orders WHERE order_id = :order FOR UPDATE")
                .bind("order", event.orderId())
                .map((rs, ctx) -> new OrderState(rs.getInt(1), rs.getString(2)))
                .findOne();
    }

    private static void saveState(Handle handle, ReceivedEvent event, String status) {
        // ON CONFLICT: two first events of one order racing; the row lock of the loser serializes them.
        handle.createUpdate("INSERT INTO sample.inventory_orders (order_id, last_version, status) VALUES (:order, :v, :s)"
                        + " ON CONFLICT (order_id) DO UPDATE SET last_version = greatest(sample.inventory_orders.last_version, :v), status = :s")
                .bind("order", event.orderId()).bind("v", event.version()).bind("s", status).execute();
    }
}
