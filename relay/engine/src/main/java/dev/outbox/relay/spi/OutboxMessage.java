package dev.outbox.relay.spi;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * An outbox event as the relay hands it to a {@link Transport}: the stored event plus what a
 * transport needs to put it on the wire.
 *
 * @param id the event id; transports send it as the message id (CloudEvents {@code id})
 * @param seq the write order; events of one key reach a transport in increasing {@code seq}
 * @param aggregateType the kind of entity; routes the event
 * @param aggregateId the entity id; the message key
 * @param type the event type (CloudEvents {@code type})
 * @param payload the body as JSON text, exactly as stored
 * @param headers string headers (trace context, correlation id, custom)
 * @param occurredAt when the event happened
 * @param attempt 1 for the first delivery attempt, 2 for the first retry, …
 */
public record OutboxMessage(
        UUID id,
        long seq,
        String aggregateType,
        String aggregateId,
        String type,
        String payload,
        Map<String, String> headers,
        Instant occurredAt,
        int attempt) {

    public OutboxMessage {
        headers = Map.copyOf(headers);
    }

    /** The W3C traceparent header, or {@code null}. */
    public String traceparent() {
        return headers.get("traceparent");
    }
}
