package dev.outbox.sample.orders;

import java.util.List;
import java.util.UUID;

/** An order as {@code GET /orders/{id}} shows it. */
public record Order(UUID id, String customer, String email, String status, int version, List<OrderLine> lines) {
    public Order {
        lines = List.copyOf(lines);
    }
}
