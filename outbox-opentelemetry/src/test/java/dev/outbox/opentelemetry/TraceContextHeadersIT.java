package dev.outbox.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import dev.outbox.core.spi.ContextHeaders;
import dev.outbox.testing.TestDatabase;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The writer stores the current span's trace context, found as a service (Outbox.create(), no
 * code), on a real PostgreSQL; spans recorded by the OpenTelemetry SDK.
 */
class TraceContextHeadersIT {
    private static final String EXPLICIT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static TestDatabase db;
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    private final Tracer tracer = provider.get("test");
    private final Outbox outbox = Outbox.create();

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @AfterEach
    void closeProvider() {
        provider.close();
    }

    @Test
    void storesTheTraceparentOfTheSpanCurrentWhenAppending() throws Exception {
        Span span = tracer.spanBuilder("place order").startSpan();
        OutboxEvent stored = inSpan(span, () -> appendAndRead(placed()));

        SpanContext written = exporter.getFinishedSpanItems().get(0).getSpanContext();
        assertThat(stored.traceparent()).hasValue(traceparent(written));
        assertThat(stored.headers()).doesNotContainKey(OutboxEvent.TRACESTATE); // the span has none
    }

    @Test
    void storesTheTracestateWithItsTraceparent() throws Exception {
        SpanContext remote = SpanContext.createFromRemoteParent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                TraceFlags.getSampled(), TraceState.builder().put("congo", "t61rcWkgMzE").build());
        Span span = tracer.spanBuilder("place order").setParent(Context.root().with(Span.wrap(remote))).startSpan();
        OutboxEvent stored = inSpan(span, () -> appendAndRead(placed()));

        assertThat(stored.traceparent()).hasValue(traceparent(span.getSpanContext()))
                .hasValueSatisfying(tp -> assertThat(tp).startsWith("00-0af7651916cd43dd8448eb211c80319c-"));
        assertThat(stored.headers()).containsEntry(OutboxEvent.TRACESTATE, "congo=t61rcWkgMzE");
    }

    @Test
    void keepsATraceparentTheEventAlreadyHas() throws Exception {
        Span span = tracer.spanBuilder("place order").startSpan();
        OutboxEvent stored = inSpan(span, () -> appendAndRead(OutboxEvent.builder("Order", "o-2", "OrderPlaced")
                .payload("{}").traceparent(EXPLICIT).header("tenant", "acme").build()));

        assertThat(stored.headers()).isEqualTo(Map.of(OutboxEvent.TRACEPARENT, EXPLICIT, "tenant", "acme"));
    }

    @Test
    void addsNothingOutsideASpan() throws Exception {
        OutboxEvent stored = appendAndRead(placed());

        assertThat(stored.headers()).isEqualTo(Map.of("tenant", "acme"));
    }

    @Test
    void addsNothingWhenTheOutboxIsBuiltWithoutContextHeaders() throws Exception {
        Outbox plain = Outbox.builder().contextHeaders(ContextHeaders.none()).build();
        OutboxEvent event = placed();
        Span span = tracer.spanBuilder("place order").startSpan();
        try (Connection c = db.connect()) {
            inSpan(span, () -> {
                plain.append(c, event);
                return null;
            });
            assertThat(plain.find(c, event.id()).orElseThrow().headers()).isEqualTo(Map.of("tenant", "acme"));
        }
    }

    @Test
    void everyEventOfABatchGetsTheContext() throws Exception {
        OutboxEvent first = placed();
        OutboxEvent second = OutboxEvent.builder("Order", "o-3", "OrderPlaced").payload("{}").traceparent(EXPLICIT).build();
        Span span = tracer.spanBuilder("place orders").startSpan();
        try (Connection c = db.connect()) {
            inSpan(span, () -> {
                outbox.appendAll(c, List.of(first, second));
                return null;
            });
            String current = traceparent(span.getSpanContext());
            assertThat(outbox.find(c, first.id()).orElseThrow().traceparent()).hasValue(current);
            assertThat(outbox.find(c, second.id()).orElseThrow().traceparent()).hasValue(EXPLICIT);
        }
    }

    /** W3C: version 00, then the ids and the flags (sampled, and since OpenTelemetry 1.6x "random trace id"). */
    private static String traceparent(SpanContext span) {
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }

    /** Runs {@code work} with {@code span} current, then ends the span. */
    private static <T> T inSpan(Span span, Callable<T> work) throws Exception {
        Scope scope = span.makeCurrent();
        try {
            return work.call();
        } finally {
            scope.close();
            span.end();
        }
    }

    private static OutboxEvent placed() {
        return OutboxEvent.builder("Order", "o-" + UUID.randomUUID(), "OrderPlaced").payload("{\"total\": 12.5}")
                .header("tenant", "acme").build();
    }

    /** Appends in a committed transaction and reads the row back as stored. */
    private OutboxEvent appendAndRead(OutboxEvent event) throws Exception {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            outbox.append(c, event);
            c.commit();
            return outbox.find(c, event.id()).orElseThrow();
        }
    }
}
