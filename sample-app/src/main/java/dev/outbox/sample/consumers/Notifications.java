package dev.outbox.sample.consumers;

import dev.outbox.sample.orders.OrderEvents;
import java.util.UUID;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;

/**
 * The {@code notifications} consumer: "sends" one email per event by recording it in
 * {@code sample.sent_emails} (the trace line printed after the commit stands in for the mail
 * server). Run by {@link InboxConsumer}, so each event is mailed once.
 *
 * <p>{@code OrderPlaced} carries the address; {@code OrderCancelled} is a thin notification, so
 * the address is asked from the order service ({@code emailOfOrder}, e.g. {@code GET
 * /orders/{id}}). If that fails the exception rolls the delivery back and the broker retries it.
 */
public final class Notifications implements EventHandler {
    private final Function<UUID, String> emailOfOrder;

    /** @param emailOfOrder the customer's address of an order; throws if it cannot tell */
    public Notifications(Function<UUID, String> emailOfOrder) {
        this.emailOfOrder = emailOfOrder;
    }

    @Override
    public String handle(Handle handle, ReceivedEvent event) {
        String shortOrder = event.orderId().toString().substring(0, 8);
        String to;
        String subject;
        switch (event.type()) {
            case OrderEvents.PLACED -> {
                to = event.payload().getString("email");
                subject = "Order " + shortOrder + " confirmed";
            }
            case OrderEvents.CANCELLED -> {
                to = emailOfOrder.apply(event.orderId());
                subject = "Order " + shortOrder + " cancelled";
            }
            default -> {
                return "ignored (no email for " + event.type() + ")";
            }
        }
        handle.createUpdate("INSERT INTO sample.sent_emails (event_id, order_id, recipient, subject)"
                        + " VALUES (:event, :order, :to, :subject)")
                .bind("event", event.id()).bind("order", event.orderId()).bind("to", to).bind("subject", subject)
                .execute();
        return "email to " + to + " \"" + subject + "\"";
    }
}
