package dev.outbox.sample.orders;

import dev.outbox.core.OutboxEvent;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import java.util.UUID;

/**
 * The order service's events, aggregate type {@value #AGGREGATE_TYPE}, keyed by order id (so the
 * relay delivers one order's events in version order). Both carry {@code version}, the order's
 * version after the change, which lets consumers reconcile events arriving out of order.
 */
public final class OrderEvents {
    public static final String AGGREGATE_TYPE = "Order";
    public static final String PLACED = "OrderPlaced";
    public static final String CANCELLED = "OrderCancelled";

    private OrderEvents() {
    }

    // tag::events[]
    /** Event-carried state: consumers need nothing else to act on a new order. */
    static OutboxEvent placed(UUID orderId, PlaceOrder order) {
        JsonArrayBuilder lines = Json.createArrayBuilder();
        order.lines().forEach(l -> lines.add(Json.createObjectBuilder().add("sku", l.sku()).add("quantity", l.quantity())));
        return OutboxEvent.builder(AGGREGATE_TYPE, orderId.toString(), PLACED)
                .payload(Json.createObjectBuilder()
                        .add("orderId", orderId.toString())
                        .add("version", 1)
                        .add("customer", order.customer())
                        .add("email", order.email())
                        .add("lines", lines)
                        .build())
                .build();
    }

    /** A thin notification: consumers that need more ask GET /orders/{id}. */
    static OutboxEvent cancelled(UUID orderId, int version) {
        return OutboxEvent.builder(AGGREGATE_TYPE, orderId.toString(), CANCELLED)
                .payload(Json.createObjectBuilder().add("orderId", orderId.toString()).add("version", version).build())
                .build();
    }
    // end::events[]
}
