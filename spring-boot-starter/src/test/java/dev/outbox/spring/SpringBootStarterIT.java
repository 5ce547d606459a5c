package dev.outbox.spring;

import static dev.outbox.testing.Await.awaitValue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.outbox.core.OutboxEvent;
import dev.outbox.core.OutboxException;
import dev.outbox.relay.Relay;
import dev.outbox.testing.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.actuate.health.SystemHealth;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A Spring Boot application with the starter, on a real PostgreSQL database and a real RabbitMQ
 * broker: the application's pool acts as {@code outbox_app} (it may only insert events), the
 * embedded relay as {@code outbox_relay} through a bean named {@code outboxRelayDataSource}.
 */
class SpringBootStarterIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String RABBITMQ_URI = "OUTBOX_TEST_RABBITMQ_URI";

    private static TestDatabase db;
    private static Connection rabbit;
    private static Channel channel;
    private static String exchange;
    private static String queue;
    private static ConfigurableApplicationContext app;
    private static final Map<String, GetResponse> received = new java.util.HashMap<>();
    private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

    @BeforeAll
    static void startTheApplication() throws Exception {
        db = TestDatabase.create();
        db.execute("CREATE TABLE orders (id text PRIMARY KEY, amount int NOT NULL)");
        db.execute("GRANT SELECT, INSERT ON orders TO " + TestDatabase.APP_ROLE);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(rabbitUri());
        rabbit = factory.newConnection("outbox-spring-it");
        channel = rabbit.createChannel();
        exchange = "outbox_spring_it_" + UUID.randomUUID().toString().substring(0, 8);
        queue = channel.queueDeclare().getQueue();
        channel.exchangeDeclare(exchange, "topic", false);
        channel.queueBind(queue, exchange, "#");

        app = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).properties(Map.of(
                "spring.datasource.url", db.jdbcUrl() + "&options=-c%20role%3D" + TestDatabase.APP_ROLE,
                "outbox.relay.enabled", "true",
                "outbox.relay.min-poll-interval", "10ms",
                "outbox.relay.instance-name", "spring-it",
                "outbox.transport.name", "rabbitmq",
                "outbox.transport.rabbitmq.uri", rabbitUri(),
                "outbox.transport.route-default", exchange,
                "management.health.defaults.enabled", "false")).run();
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (channel != null) {
            channel.queueDelete(queue);
            channel.exchangeDelete(exchange);
        }
        if (rabbit != null) {
            rabbit.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void aTransactionalMethodWritesTheOrderAndItsEventTogetherAndTheRelayDeliversIt() throws Exception {
        app.getBean(OrderService.class).place("o-1", 10, false);

        assertThat(db.queryLong("SELECT count(*) FROM orders WHERE id = 'o-1'")).isOne();
        String id = eventId("o-1");
        GetResponse message = awaitMessage(id);
        assertThat(new String(message.getBody(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"order\": \"o-1\", \"amount\": 10}");
        awaitValue("the event is marked published", WAIT,
                () -> db.queryLong("SELECT count(*) FROM outbox.event_history WHERE aggregateid = 'o-1'") == 1 ? true : null);
    }

    @Test
    void anExceptionRollsBackTheOrderAndItsEvent() {
        assertThatThrownBy(() -> app.getBean(OrderService.class).place("o-2", 20, true))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("payment declined");

        assertThat(db.queryLong("SELECT count(*) FROM orders WHERE id = 'o-2'")).isZero();
        assertThat(eventsOf("o-2")).isZero();
    }

    @Test
    void outsideATransactionTheOutboxRefusesAndWritesNothing() {
        TransactionalOutbox outbox = app.getBean(TransactionalOutbox.class);

        assertThatThrownBy(() -> outbox.append(OutboxEvent.builder("Order", "o-3", "OrderPlaced").payload("{}").build()))
                .isInstanceOf(OutboxException.class).hasMessageContaining("@Transactional");
        assertThat(eventsOf("o-3")).isZero();
    }

    @Test
    void theInboxRunsTheWorkOncePerEventAndAgainAfterARollback() {
        TransactionalInbox inbox = app.getBean(TransactionalInbox.class);
        TransactionTemplate tx = new TransactionTemplate(app.getBean(org.springframework.transaction.PlatformTransactionManager.class));
        UUID eventId = UUID.randomUUID();
        AtomicInteger effects = new AtomicInteger();

        assertThatThrownBy(() -> tx.executeWithoutResult(s -> inbox.receiveOnce("billing", eventId, () -> {
            effects.incrementAndGet();
            throw new IllegalStateException("work failed");
        }))).hasMessage("work failed");
        Runnable effect = effects::incrementAndGet;
        Boolean first = tx.execute(s -> inbox.receiveOnce("billing", eventId, effect));
        Boolean redelivered = tx.execute(s -> inbox.receiveOnce("billing", eventId, effect));
        Boolean otherConsumer = tx.execute(s -> inbox.receiveOnce("shipping", eventId, effect));

        assertThat(first).isTrue();
        assertThat(redelivered).isFalse();
        assertThat(otherConsumer).isTrue();

        assertThat(effects).hasValue(3); // the failed try, the first success, shipping's
        assertThat(db.queryLong("SELECT count(*) FROM outbox.inbox WHERE event_id = '" + eventId + "'")).isEqualTo(2);
    }

    @Test
    void actuatorShowsTheRelaysHealthAndMicrometerItsMeters() {
        app.getBean(OrderService.class).place("o-4", 40, false);
        MeterRegistry registry = app.getBean(MeterRegistry.class);

        awaitValue("the relay's published counter counts the event", WAIT, () -> registry.find("outbox.relay.published")
                .functionCounter() != null && registry.find("outbox.relay.published").functionCounter().count() >= 1 ? true : null);
        SystemHealth health = (SystemHealth) app.getBean(HealthEndpoint.class).health();
        var relay = health.getComponents().get("outboxRelay");
        assertThat(relay).as("health components %s", health.getComponents().keySet()).isNotNull();
        assertThat(relay.getStatus()).isEqualTo(Status.UP);
        assertThat(((org.springframework.boot.actuate.health.Health) relay).getDetails())
                .containsEntry("phase", "running").containsEntry("slotsOwned", 64);
        assertThat(registry.find("outbox.backlog.events").gauge()).as("the outbox gauges, read with the relay's role").isNotNull();
        assertThat(app.getBean(Relay.class).stats().ready()).isTrue();
    }

    /** The message of event {@code id}, consuming the queue until it arrives (other tests' events come first). */
    private static synchronized GetResponse awaitMessage(String id) {
        return awaitValue("event " + id + " reached RabbitMQ", WAIT, () -> {
            for (GetResponse m = channel.basicGet(queue, true); m != null; m = channel.basicGet(queue, true)) {
                received.put(m.getProps().getMessageId(), m);
            }
            return received.get(id);
        });
    }

    @Test
    void theRequestsTraceGoesOnInTheRelaysProducerSpanAndOnTheWire() {
        Span request = app.getBean(OpenTelemetry.class).getTracer("test").spanBuilder("POST /orders").startSpan();
        Scope scope = request.makeCurrent();
        try {
            app.getBean(OrderService.class).place("o-5", 50, false);
        } finally {
            scope.close();
            request.end();
        }
        String id = eventId("o-5");

        GetResponse message = awaitMessage(id);
        SpanData producer = awaitValue("the relay's PRODUCER span of " + id, WAIT, () -> SPANS.getFinishedSpanItems()
                .stream().filter(s -> s.getKind() == SpanKind.PRODUCER
                        && id.equals(s.getAttributes().get(AttributeKey.stringKey("messaging.message.id"))))
                .findFirst().orElse(null));
        assertThat(producer.getTraceId()).isEqualTo(request.getSpanContext().getTraceId());
        assertThat(producer.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
        assertThat(producer.getName()).isEqualTo("send " + exchange);
        assertThat(String.valueOf(message.getProps().getHeaders().get("cloudEvents:traceparent")))
                .startsWith("00-" + producer.getTraceId() + "-" + producer.getSpanId() + "-"); // then the flags
    }

    private static String eventId(String order) {
        return db.queryString("SELECT id::text FROM outbox.event WHERE aggregateid = '" + order + "'"
                + " UNION ALL SELECT id::text FROM outbox.event_history WHERE aggregateid = '" + order + "'");
    }

    private static long eventsOf(String order) {
        return db.queryLong("SELECT (SELECT count(*) FROM outbox.event WHERE aggregateid = '" + order + "')"
                + " + (SELECT count(*) FROM outbox.event_history WHERE aggregateid = '" + order + "')");
    }

    private static String rabbitUri() {
        String uri = System.getenv(RABBITMQ_URI);
        if (uri == null || uri.isBlank()) {
            throw new IllegalStateException(RABBITMQ_URI + " is not set: point it at a RabbitMQ broker, e.g. "
                    + RABBITMQ_URI + "=amqp://guest:guest@127.0.0.1:5672 (start one with: rabbitmq-server -detached)");
        }
        return uri;
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        /** The relay's own role; not a default candidate, so the application's pool stays the DataSource. */
        @Bean(defaultCandidate = false)
        DataSource outboxRelayDataSource() {
            PGSimpleDataSource relay = new PGSimpleDataSource();
            relay.setUrl(db.jdbcUrl());
            relay.setOptions("-c role=" + TestDatabase.RELAY_ROLE);
            return relay;
        }

        /** Picked up by the starter: the relay makes a PRODUCER span per event with it. */
        @Bean
        OpenTelemetry openTelemetry() {
            return OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(SPANS)).build()).build();
        }

        @Bean
        OrderService orderService(JdbcTemplate jdbc, TransactionalOutbox outbox) {
            return new OrderService(jdbc, outbox);
        }
    }

    /** A CRUD service as an application writes it. */
    @Service
    static class OrderService {
        private final JdbcTemplate jdbc;
        private final TransactionalOutbox outbox;

        OrderService(JdbcTemplate jdbc, TransactionalOutbox outbox) {
            this.jdbc = jdbc;
            this.outbox = outbox;
        }

        @Transactional
        public void place(String id, int amount, boolean declined) {
            jdbc.update("INSERT INTO orders (id, amount) VALUES (?, ?)", id, amount);
            outbox.append(OutboxEvent.builder("Order", id, "OrderPlaced")
                    .payload("{\"order\":\"" + id + "\",\"amount\":" + amount + "}").build());
            if (declined) {
                throw new IllegalStateException("payment declined for " + id);
            }
        }
    }
}
