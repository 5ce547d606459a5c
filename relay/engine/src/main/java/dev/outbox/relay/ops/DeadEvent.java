package dev.outbox.relay.ops;

import dev.outbox.core.internal.JsonFactories;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A dead event, as listed by {@link Operations#deadEvents(int)} or returned by
 * {@link Operations#discardDead(UUID)}: given up after its last delivery attempt, kept, and holding
 * back the later events of its key until an operator retries or discards it. Immutable.
 *
 * @param id the event id
 * @param seq its write order
 * @param aggregateType with {@code aggregateId} the ordering key
 * @param aggregateId with {@code aggregateType} the ordering key
 * @param type the event type
 * @param attempts delivery attempts made
 * @param lastError the last delivery error ({@code null} if none was recorded)
 * @param deadAt when the relay gave up
 * @param heldBack undelivered later events of the same key that wait for this one
 */
public record DeadEvent(
        UUID id,
        long seq,
        String aggregateType,
        String aggregateId,
        String type,
        int attempts,
        String lastError,
        Instant deadAt,
        long heldBack) {

    public DeadEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(aggregateType, "aggregateType");
        Objects.requireNonNull(aggregateId, "aggregateId");
        Objects.requireNonNull(type, "type");
    }

    /** The event as a JSON object: the component names as keys, times ISO-8601. */
    public JsonObject toJson() {
        JsonObjectBuilder o = JsonFactories.objectBuilder()
                .add("id", id.toString())
                .add("seq", seq)
                .add("aggregateType", aggregateType)
                .add("aggregateId", aggregateId)
                .add("type", type)
                .add("attempts", attempts);
        if (lastError == null) {
            o.addNull("lastError");
        } else {
            o.add("lastError", lastError);
        }
        if (deadAt == null) {
            o.addNull("deadAt");
        } else {
            o.add("deadAt", deadAt.toString());
        }
        return o.add("heldBack", heldBack).build();
    }

    /** A JSON array of dead events, for scripts. */
    public static String renderJson(List<DeadEvent> events) {
        JsonArrayBuilder a = JsonFactories.arrayBuilder();
        events.forEach(e -> a.add(e.toJson()));
        return a.build().toString();
    }
}
