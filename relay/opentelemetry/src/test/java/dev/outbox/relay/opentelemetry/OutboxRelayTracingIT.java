package dev.outbox.relay.opentelemetry;

import static dev.outbox.testing.Await.await;
import static dev.outbox.testing.Await.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import dev.outbox.relay.Relay;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.transport.rabbitmq.RabbitMqTransport;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The trace from the writer's span through the relay's PRODUCER span to the message a consumer
 * takes from a real RabbitMQ ({@code OUTBOX_TEST_RABBITMQ_URI}), on a real PostgreSQL; spans
 * recorded by the OpenTelemetry SDK's in-memory exporter. The exchange and queue a test creates
 * (named after a random aggregate type) are deleted after it.
 */
class OutboxRelayTracingIT {
    private static final String URI_ENV = "OUTBOX_TEST_RABBITMQ_URI";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    private final OpenTelemetrySdk openTelemetry = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
    private final String aggregateType = "Traced" + UUID.randomUUID().toString().replace("-", "");
    private Connection broker;
    private Channel channel;

    private static String uri() {
        String uri = System.getenv(URI_ENV);
        if (uri == null || uri.isBlank()) {
            throw new IllegalStateException(URI_ENV + " is not set: point it at a RabbitMQ broker, e.g. "
                    + URI_ENV + "=amqp://guest:guest@127.0.0.1:5672 (start one with: rabbitmq-server -detached)");
        }
        return uri;
    }

    @BeforeEach
    void declareExchangeAndQueue() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri());
        f.setAutomaticRecoveryEnabled(false);
        broker = f.newConnection("outbox-tracing-test");
        channel = broker.createChannel();
        channel.exchangeDeclare(aggregateType, BuiltinExchangeType.TOPIC, true);
        channel.queueDeclare(aggregateType, true, false, false, null);
        channel.queueBind(aggregateType, aggregateType, "#");
    }

    @AfterEach
    void deleteExchangeAndQueue() throws Exception {
        try {
            channel.queueDelete(aggregateType);
            channel.exchangeDelete(aggregateType);
        } finally {
            broker.close();
            openTelemetry.close();
        }
    }

    @Test
    void theProducerSpanContinuesTheWritersTraceAndTravelsWithTheMessage() throws Exception {
        Span writer = openTelemetry.getTracer("app").spanBuilder("place order").startSpan();
        OutboxEvent event = OutboxEvent.builder(aggregateType, "o-1", "OrderPlaced").payload("{\"total\": 12.5}").build();
        Scope scope = writer.makeCurrent();
        try (java.sql.Connection c = FIXTURE.db().connect()) {
            Outbox.create().append(c, event); // outbox-opentelemetry on the class path stores the context
        } finally {
            scope.close();
            writer.end();
        }

        FIXTURE.start(relay());

        Map<String, String> received = awaitValue("the message in queue " + aggregateType, WAIT, this::nextMessage);
        SpanData producer = awaitValue("the PRODUCER span", WAIT, () -> span(SpanKind.PRODUCER));

        SpanContext written = writer.getSpanContext();
        assertThat(producer.getTraceId()).isEqualTo(written.getTraceId());
        assertThat(producer.getParentSpanId()).as("the writer's span is the parent").isEqualTo(written.getSpanId());
        assertThat(producer.getName()).isEqualTo("send " + aggregateType);
        assertThat(producer.getInstrumentationScopeInfo().getName()).isEqualTo(OutboxRelayTracing.INSTRUMENTATION_NAME);
        assertThat(producer.getAttributes().asMap()).containsEntry(OutboxRelayTracing.MESSAGING_SYSTEM, "rabbitmq")
                .containsEntry(OutboxRelayTracing.MESSAGING_OPERATION_TYPE, "send")
                .containsEntry(OutboxRelayTracing.MESSAGING_OPERATION_NAME, "send")
                .containsEntry(OutboxRelayTracing.MESSAGING_DESTINATION_NAME, aggregateType)
                .containsEntry(OutboxRelayTracing.MESSAGING_MESSAGE_ID, event.id().toString())
                .containsEntry(OutboxRelayTracing.EVENT_TYPE, "OrderPlaced")
                .containsEntry(OutboxRelayTracing.ATTEMPT, 1L);
        assertThat(producer.getStatus().getStatusCode()).isEqualTo(StatusCode.OK);
        // CloudEvents' Distributed Tracing extension in the AMQP binding: the PRODUCER span's context.
        assertThat(received).containsEntry("cloudEvents:traceparent", "00-" + producer.getTraceId() + "-"
                + producer.getSpanId() + "-" + producer.getSpanContext().getTraceFlags().asHex());
        assertThat(received).containsEntry("cloudEvents:id", event.id().toString());
    }

    @Test
    void anEventWrittenOutsideASpanStartsANewTrace() throws Exception {
        OutboxEvent event = OutboxEvent.builder(aggregateType, "o-2", "OrderPlaced").payload("{}").build();
        try (java.sql.Connection c = FIXTURE.db().connect()) {
            Outbox.create().append(c, event);
        }

        FIXTURE.start(relay());

        Map<String, String> received = awaitValue("the message in queue " + aggregateType, WAIT, this::nextMessage);
        SpanData producer = awaitValue("the PRODUCER span", WAIT, () -> span(SpanKind.PRODUCER));
        assertThat(producer.getParentSpanContext().isValid()).as("a root span").isFalse();
        assertThat(received.get("cloudEvents:traceparent")).contains(producer.getTraceId()).contains(producer.getSpanId());
    }

    @Test
    void anEventTheBrokerRefusesGivesAnErrorSpan() throws Exception {
        String missing = aggregateType + "Missing"; // no such exchange: RabbitMQ refuses with 404
        OutboxEvent event = OutboxEvent.builder(missing, "o-3", "OrderPlaced").payload("{}").build();
        try (java.sql.Connection c = FIXTURE.db().connect()) {
            Outbox.create().append(c, event);
        }

        FIXTURE.start(relay());

        SpanData producer = awaitValue("the PRODUCER span", WAIT, () -> span(SpanKind.PRODUCER));
        assertThat(producer.getName()).isEqualTo("send " + missing);
        assertThat(producer.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(producer.getStatus().getDescription()).contains(missing);
        assertThat(producer.getAttributes().asMap()).containsEntry(OutboxRelayTracing.ERROR_TYPE, "permanent")
                .containsEntry(OutboxRelayTracing.MESSAGING_MESSAGE_ID, event.id().toString());
        assertThat(producer.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
        await("the refusal charged as without tracing: dead after one non-retryable attempt", WAIT,
                () -> FIXTURE.db().queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL") == 1);
    }

    private Relay.Builder relay() {
        DataSource dataSource = FIXTURE.relayRole();
        Transport transport = RabbitMqTransport.builder().uri(uri()).routeDefault("${aggregatetype}").build();
        // tag::tracing[]
        Relay.Builder relay = Relay.builder(dataSource, transport)  // outbox-relay
                .tracing(OutboxRelayTracing.create(openTelemetry)); // outbox-relay-opentelemetry
        // end::tracing[]
        return relay.config(RelayDatabase.fast().maxNonRetryableAttempts(1).build());
    }

    /** The headers of the next message in the queue, or null (for polling). */
    private Map<String, String> nextMessage() throws Exception {
        GetResponse r = channel.basicGet(aggregateType, true);
        if (r == null) {
            return null;
        }
        Map<String, String> headers = new HashMap<>();
        r.getProps().getHeaders().forEach((k, v) -> headers.put(k, String.valueOf(v)));
        return headers;
    }

    private SpanData span(SpanKind kind) {
        Optional<SpanData> found = exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == kind).findFirst();
        return found.orElse(null);
    }
}
