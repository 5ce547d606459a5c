package dev.outbox.sample.consumers;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.util.UUID;

/**
 * An event as a consumer receives it from the broker, whatever the broker: the CloudEvents id
 * (= outbox event id, the inbox's deduplication key), type, subject (= order id) and JSON data.
 *
 * @param id the outbox event id
 * @param type e.g. {@code OrderPlaced}
 * @param orderId the aggregate id
 * @param payload the event's JSON data
 */
public record ReceivedEvent(UUID id, String type, UUID orderId, JsonObject payload) {

    /**
     * Builds an event from message fields; throws {@link IllegalArgumentException} saying which
     * field is missing or malformed (such a message can never succeed: it goes to the dead-letter queue).
     */
    public static ReceivedEvent of(String id, String type, String orderId, byte[] body) {
        if (id == null || type == null || orderId == null) {
            throw new IllegalArgumentException("message without event id, type or order id (id=" + id + ", type=" + type
                    + ", subject=" + orderId + ")");
        }
        try (JsonReader reader = Json.createReader(new StringReader(new String(body, java.nio.charset.StandardCharsets.UTF_8)))) {
            return new ReceivedEvent(UUID.fromString(id), type, UUID.fromString(orderId), reader.readObject());
        } catch (JsonException | IllegalStateException e) {
            throw new IllegalArgumentException("event " + id + ": the body is not a JSON object: " + e.getMessage(), e);
        }
    }

    /** The order's version this event produced. */
    public int version() {
        return payload.getInt("version");
    }

    /** First 8 hex digits of the id, for the trace (UUIDv7: they are the time; the tail differs too). */
    public String shortId() {
        String s = id.toString();
        return s.substring(0, 8) + "…" + s.substring(s.length() - 4);
    }
}
