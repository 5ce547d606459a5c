package dev.outbox.sample.orders;

import java.util.UUID;

/**
 * The result of a state change: the order's new status and version, and the id of the event
 * written with it (returned so that a client can follow the event, as the demo does).
 */
public record OrderChange(UUID orderId, String status, int version, UUID eventId) {
}
