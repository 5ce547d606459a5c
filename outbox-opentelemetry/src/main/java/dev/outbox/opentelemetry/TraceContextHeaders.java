package dev.outbox.opentelemetry;

import dev.outbox.core.spi.ContextHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.HashMap;
import java.util.Map;

/**
 * The W3C trace context ({@code traceparent}, {@code tracestate}) of OpenTelemetry's current span
 * ({@link Context#current()}), for {@link dev.outbox.core.Outbox} to store with each event that has
 * no {@code traceparent} of its own, so that the relay's PRODUCER span (and the consumer after
 * it) continue the trace that wrote the event.
 *
 * <p>Installed as a {@link ContextHeaders} service: putting {@code outbox-opentelemetry} on the
 * class path is enough. Outside any span (no valid span context) it supplies nothing. It uses
 * the W3C propagator directly, whatever propagators the application configured, because the
 * outbox's headers are W3C's ({@code OutboxEvent.TRACEPARENT}) and the relay reads them so.
 * It needs only the OpenTelemetry API; without an SDK or agent there is never a valid span.
 */
public final class TraceContextHeaders implements ContextHeaders {
    private static final TextMapSetter<Map<String, String>> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.put(key, value);
        }
    };

    /** For {@link java.util.ServiceLoader}; {@code Outbox.builder().contextHeaders(new TraceContextHeaders())} also works. */
    public TraceContextHeaders() {
    }

    @Override
    public Map<String, String> current() {
        Context context = Context.current();
        if (!Span.fromContext(context).getSpanContext().isValid()) {
            return Map.of();
        }
        Map<String, String> headers = new HashMap<>(4);
        W3CTraceContextPropagator.getInstance().inject(context, headers, SETTER);
        return headers;
    }
}
