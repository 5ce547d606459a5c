package dev.outbox.relay.ops;

import dev.outbox.core.internal.JsonFactories;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.time.Instant;
import java.util.Objects;

/**
 * A dead event with what it carries, as read by {@link Operations#deadEvent(java.util.UUID)}: what an
 * operator looks at before retrying or discarding it. Immutable. The payload and headers come from
 * the application that wrote the event: show them as text, never as markup.
 *
 * @param event the event's delivery state, as {@link Operations#deadEvents(int)} lists it
 * @param occurredAt when the application wrote it
 * @param payload its payload, JSON text
 * @param headers its headers, JSON text ({@code null} when it has none)
 */
public record DeadEventDetail(DeadEvent event, Instant occurredAt, String payload, String headers) {

    public DeadEventDetail {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(payload, "payload");
    }

    /** {@link DeadEvent#toJson()} with {@code occurredAt}, {@code payload} and {@code headers} as JSON text. */
    public JsonObject toJson() {
        JsonObjectBuilder o = JsonFactories.objectBuilder();
        event.toJson().forEach(o::add);
        o.add("occurredAt", occurredAt == null ? "" : occurredAt.toString()).add("payload", payload);
        if (headers == null) {
            o.addNull("headers");
        } else {
            o.add("headers", headers);
        }
        return o.build();
    }
}
