package dev.outbox.core.spi;

import java.util.Map;

/**
 * Supplies headers that describe the calling thread's current context, such as the W3C trace
 * context ({@code traceparent}, {@code tracestate}) of the current span, for
 * {@link dev.outbox.core.Outbox} to add to the events it appends.
 *
 * <p><b>Who calls it.</b> {@code Outbox.append} and {@code appendAll}, on the application's
 * thread, once per event that carries no {@code traceparent} of its own. Headers the event already
 * has win: a supplied header is added only where the event has none by that name, and an event
 * with an explicit {@code traceparent} gets none of them.
 *
 * <p><b>How it is found.</b> An {@code Outbox} built without
 * {@link dev.outbox.core.Outbox.Builder#contextHeaders(ContextHeaders)} uses the implementations
 * listed in {@code META-INF/services/dev.outbox.core.spi.ContextHeaders}, looked up once per JVM
 * with {@link java.util.ServiceLoader}; with none installed, appending costs what it did without
 * this interface. {@code outbox-opentelemetry} is one.
 *
 * <p><b>Failures.</b> The supplied headers pass the same checks as
 * {@link dev.outbox.core.OutboxEvent.Builder#header(String, String)}. Context is telemetry, never
 * a reason to lose the business write: when {@link #current()} throws or supplies a header those
 * checks refuse, the event is written without the supplied headers and the writer logs a warning
 * ({@link System.Logger} {@code dev.outbox.core}).
 *
 * <p>Implementations must be thread-safe and cheap: they run inside the application's transaction.
 */
public interface ContextHeaders {

    /**
     * The headers of the calling thread's current context, e.g. {@code traceparent} and
     * {@code tracestate}; empty when there is none (no current span).
     */
    Map<String, String> current();

    /** Supplies nothing: an {@code Outbox} built with it adds no context headers. */
    static ContextHeaders none() {
        return Map::of;
    }
}
