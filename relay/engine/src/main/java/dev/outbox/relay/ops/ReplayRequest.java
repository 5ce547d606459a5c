package dev.outbox.relay.ops;

import dev.outbox.core.OutboxException;
import java.time.Instant;

/**
 * Which published events {@link Operations#replay} sends again: those that <em>occurred</em>
 * ({@code occurred_at}, the time the writer stated) in the half-open range {@code [from, to)},
 * optionally only of one event type and/or one aggregate type. The range is on
 * {@code occurred_at} rather than {@code published_at} because an operator thinks in "the events
 * that happened between 10:00 and 11:00", whenever they were relayed.
 *
 * <p>Immutable and validated on construction: both bounds are required and {@code from} must be
 * before {@code to}; a filter, when given, must not be blank. Violations throw
 * {@link OutboxException} naming the field and the value.
 *
 * @param from first instant of the range (inclusive)
 * @param to end of the range (exclusive)
 * @param type only events of this type, or {@code null} for every type
 * @param aggregateType only events of this aggregate type, or {@code null} for every aggregate type
 */
public record ReplayRequest(Instant from, Instant to, String type, String aggregateType) {

    public ReplayRequest {
        if (from == null || to == null) {
            throw new OutboxException("replay.from and replay.to are both required (was from=" + from + ", to=" + to + ")");
        }
        if (!from.isBefore(to)) {
            throw new OutboxException("replay.from must be before replay.to (was from=" + from + ", to=" + to + ")");
        }
        check("replay.type", type);
        check("replay.aggregateType", aggregateType);
    }

    /** Every published event that occurred in {@code [from, to)}. */
    public static ReplayRequest between(Instant from, Instant to) {
        return new ReplayRequest(from, to, null, null);
    }

    /** This request limited to events of {@code type}. */
    public ReplayRequest ofType(String type) {
        return new ReplayRequest(from, to, type, aggregateType);
    }

    /** This request limited to events of {@code aggregateType}. */
    public ReplayRequest ofAggregateType(String aggregateType) {
        return new ReplayRequest(from, to, type, aggregateType);
    }

    /** For messages: "events that occurred in [from, to) of type X and aggregate type Y". */
    public String describe() {
        return "events that occurred in [" + from + ", " + to + ")"
                + (type == null ? "" : " of type \"" + type + "\"")
                + (aggregateType == null ? "" : (type == null ? " of" : " and") + " aggregate type \"" + aggregateType + "\"");
    }

    private static void check(String name, String value) {
        if (value != null && (value.isBlank() || value.length() > 255)) {
            throw new OutboxException(name + " must be null (any) or 1 to 255 characters, not blank (was \"" + value + "\")");
        }
    }
}
