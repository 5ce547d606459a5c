package dev.outbox.relay.opentelemetry;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.SendTracing;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * OpenTelemetry PRODUCER spans for an embedded {@link dev.outbox.relay.Relay}: one span per event
 * handed to the transport, a child of the trace context stored with the event (its
 * {@code traceparent} and {@code tracestate}, e.g. by {@code outbox-opentelemetry} in the writer),
 * or a new trace when it has none. The message the transport puts on the wire carries the span's
 * context instead of the stored one, so a consumer's span becomes a child of the send.
 *
 * <pre>{@code
 * Relay relay = Relay.builder(dataSource, transport)
 *         .tracing(OutboxRelayTracing.create(openTelemetry))
 *         .build();
 * }</pre>
 *
 * <p><b>Spans</b> follow OpenTelemetry's semantic conventions for messaging (messaging spans,
 * "send" operation): kind PRODUCER, name {@code send <destination>} ({@code send} when the
 * transport does not say), attributes {@code messaging.system} (the transport's
 * {@link Transport#system()}, e.g. {@code rabbitmq}), {@code messaging.operation.type} = {@code send},
 * {@code messaging.operation.name} = {@code send}, {@code messaging.destination.name} where the
 * transport knows it, {@code messaging.message.id} = the event id; besides them
 * {@code outbox.event.type} and {@code outbox.attempt}. A span ends when the transport answered:
 * status OK when the broker acknowledged the event; ERROR with the exception recorded and
 * {@code error.type} ({@code outage}, {@code retryable} or {@code permanent}) when it refused it, the
 * whole call failed or timed out, or no result came back. The conventions' names are written out
 * here (the semconv artifact is still incubating for messaging).
 *
 * <p>A span tells what the broker answered for that message. Delivery stays at least once: an
 * acknowledged message may still be sent again (a crash before marking, or an earlier event of
 * its key that failed in the same call), and then gets a span of its own.
 *
 * <p>Only the headers on the wire change; the stored event keeps its trace context, so a retry
 * starts a new span under the same parent. Tracing never changes delivery: the relay treats a
 * failure in here as "untraced" (see {@link SendTracing}).
 */
public final class OutboxRelayTracing implements SendTracing {
    /** The instrumentation scope name of the spans. */
    public static final String INSTRUMENTATION_NAME = "dev.outbox.relay";

    // OpenTelemetry semantic conventions, messaging spans (messaging.* attribute registry).
    static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> MESSAGING_OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> MESSAGING_OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    static final AttributeKey<String> MESSAGING_DESTINATION_NAME = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> MESSAGING_MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    // The outbox's own.
    static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("outbox.event.type");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("outbox.attempt");

    private static final String SEND = "send";
    /** messaging.system is required; a transport that does not name its system gets this. */
    private static final String UNKNOWN_SYSTEM = "outbox";
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };
    private static final TextMapSetter<Map<String, String>> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.put(key, value);
        }
    };

    private final Tracer tracer;

    private OutboxRelayTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** Spans recorded by {@code openTelemetry}'s tracer provider, scope {@value #INSTRUMENTATION_NAME}. */
    public static OutboxRelayTracing create(OpenTelemetry openTelemetry) {
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        return new OutboxRelayTracing(openTelemetry.getTracer(INSTRUMENTATION_NAME));
    }

    @Override
    public Send start(Transport transport, List<OutboxMessage> batch) {
        String system = transport.system() != null ? transport.system() : UNKNOWN_SYSTEM;
        List<OutboxMessage> messages = new ArrayList<>(batch.size());
        Map<UUID, Span> spans = new HashMap<>();
        for (OutboxMessage m : batch) {
            String destination = transport.destination(m);
            Context stored = W3C.extract(Context.root(), m.headers(), GETTER);
            SpanBuilder builder = tracer.spanBuilder(destination == null ? SEND : SEND + " " + destination)
                    .setSpanKind(SpanKind.PRODUCER)
                    .setAttribute(MESSAGING_SYSTEM, system)
                    .setAttribute(MESSAGING_OPERATION_TYPE, SEND)
                    .setAttribute(MESSAGING_OPERATION_NAME, SEND)
                    .setAttribute(MESSAGING_MESSAGE_ID, m.id().toString())
                    .setAttribute(EVENT_TYPE, m.type())
                    .setAttribute(ATTEMPT, (long) m.attempt());
            if (destination != null) {
                builder.setAttribute(MESSAGING_DESTINATION_NAME, destination);
            }
            if (Span.fromContext(stored).getSpanContext().isValid()) {
                builder.setParent(stored);
            } else {
                builder.setNoParent();
            }
            Span span = builder.startSpan();
            spans.put(m.id(), span);
            messages.add(withContext(m, Context.root().with(span)));
        }
        return new ProducerSpans(messages, spans);
    }

    /** {@code m} with the span's trace context instead of the stored one; unchanged when there is none to put. */
    private static OutboxMessage withContext(OutboxMessage m, Context context) {
        Map<String, String> injected = new HashMap<>(4);
        W3C.inject(context, injected, SETTER);
        if (injected.isEmpty()) {
            return m; // a non-recording API without an SDK: keep what the writer stored
        }
        Map<String, String> headers = new HashMap<>(m.headers());
        for (String field : W3C.fields()) {
            headers.remove(field); // a stored tracestate belongs to the stored traceparent
        }
        headers.putAll(injected);
        return new OutboxMessage(m.id(), m.seq(), m.aggregateType(), m.aggregateId(), m.type(), m.payload(), headers,
                m.occurredAt(), m.attempt());
    }

    /** The spans of one transport call, by event id. */
    private static final class ProducerSpans implements Send {
        private final List<OutboxMessage> messages;
        private final Map<UUID, Span> spans;

        ProducerSpans(List<OutboxMessage> messages, Map<UUID, Span> spans) {
            this.messages = List.copyOf(messages);
            this.spans = spans;
        }

        @Override
        public List<OutboxMessage> messages() {
            return messages;
        }

        @Override
        public void end(Map<UUID, SendResult> results, TransportException failure) {
            spans.forEach((id, span) -> {
                SendResult result = results.get(id);
                if (result != null && result.isAcknowledged()) {
                    span.setStatus(StatusCode.OK);
                } else {
                    TransportException why = result != null ? result.failure() : failure != null ? failure
                            : TransportException.retryable("the transport returned no result for this event", null);
                    span.recordException(why);
                    span.setAttribute(ERROR_TYPE, why.outage() ? "outage" : why.retryable() ? "retryable" : "permanent");
                    span.setStatus(StatusCode.ERROR, why.getMessage());
                }
                span.end();
            });
        }
    }
}
