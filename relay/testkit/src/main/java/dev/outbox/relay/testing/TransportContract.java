package dev.outbox.relay.testing;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.config.ConfigReader;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every built-in transport passes against its real server. A subclass per
 * transport supplies the factory, its configuration, an independent consumer (the broker's own
 * client, not the transport) and a way to stop and start the server.
 *
 * <p>Each test uses a fresh aggregate type ({@link #aggregateType}) so that destinations
 * (topics, queues, subjects, streams, paths) never see another test's messages; the default
 * route is {@code ${aggregatetype}}, so the destination name equals the aggregate type unless a
 * subclass routes differently in {@link #config}.
 */
public abstract class TransportContract {
    protected static final Duration WAIT = Duration.ofSeconds(90);
    protected static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    protected TestDatabase db;
    protected String aggregateType;
    private final List<Relay> relays = new ArrayList<>();

    /** A message as the broker's own consumer saw it. */
    public record Received(String key, Map<String, String> headers, byte[] body) {
        public Received {
            headers = Map.copyOf(headers);
        }
    }

    /** The factory under test (as the sidecar would find it by name). */
    protected abstract TransportFactory factory();

    /**
     * Configuration of the transport for destinations named after {@code aggregateType}, e.g.
     * bootstrap servers, and {@code OUTBOX_ROUTE_DEFAULT=${aggregatetype}} or a route of its own.
     */
    protected abstract Map<String, String> config(String aggregateType);

    /** Creates what the destination of {@code aggregateType} needs (topic, queue + binding, stream), if anything. */
    protected abstract void createDestination(String aggregateType) throws Exception;

    /** Starts an independent consumer of the destination of {@code aggregateType}, before anything is sent. */
    protected abstract void startConsumer(String aggregateType) throws Exception;

    /** Everything the consumer received so far, in arrival order. */
    protected abstract List<Received> received() throws Exception;

    /** The CloudEvents attribute {@code name} as this binding carries it in {@code headers}. */
    protected abstract String attribute(Received message, String name);

    /**
     * Makes events of {@code aggregateType} undeliverable for a reason the broker will keep
     * giving (no such topic/subject, unroutable, 400), so that the transport reports a
     * non-retryable failure.
     */
    protected abstract void makeUndeliverable(String aggregateType) throws Exception;

    protected abstract void stopServer() throws Exception;

    protected abstract void startServer() throws Exception;

    /** Stops the consumer and deletes what {@link #createDestination} made. */
    protected abstract void cleanUp(String aggregateType) throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create();
        aggregateType = "T" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        createDestination(aggregateType);
        startConsumer(aggregateType);
    }

    @AfterEach
    void tearDown() throws Exception {
        relays.forEach(Relay::close);
        try {
            cleanUp(aggregateType);
        } finally {
            db.close();
        }
    }

    protected Transport transport(Map<String, String> extra) {
        Map<String, String> config = new HashMap<>(config(aggregateType));
        config.putAll(extra);
        return factory().create(ConfigReader.require(factory().config(), config));
    }

    protected Relay startRelay(Transport transport, RelayConfig.Builder config) {
        Relay relay = Relay.builder(Events.relayRoleDataSource(db), transport).config(config.build()).build();
        relays.add(relay);
        return relay.start();
    }

    protected static RelayConfig.Builder fast() {
        return RelayConfig.builder().batchSize(200).minPollInterval(Duration.ofMillis(5))
                .maxPollInterval(Duration.ofMillis(50)).rebalanceInterval(Duration.ofMillis(100))
                .backoffBase(Duration.ofMillis(20)).backoffCap(Duration.ofMillis(500)).sendTimeout(Duration.ofSeconds(20));
    }

    /** Writes events through the Java API, with trace context, correlation id and a custom header. */
    protected List<OutboxEvent> write(String aggregateType, int count, int keys) throws Exception {
        List<OutboxEvent> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(OutboxEvent.builder(aggregateType, "key-" + (i % keys), "Thing" + (i % 3 == 0 ? "Created" : "Changed"))
                    .payload("{\"n\": " + i + ", \"text\": \"äö € 😀\", \"amount\": 12.50}")
                    .traceparent(TRACEPARENT)
                    .correlationId("req-" + i)
                    .header("X-Tenant", "acme")
                    .build());
        }
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE)) {
            c.setAutoCommit(false);
            Outbox.create().appendAll(c, events);
            c.commit();
        }
        return events;
    }

    /** id → (seq, payload text as stored): what the consumer must see. */
    protected Map<UUID, Object[]> stored() throws Exception {
        Map<UUID, Object[]> rows = new HashMap<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT id, seq, payload::text FROM outbox.event"
                     + " UNION ALL SELECT id, seq, payload::text FROM outbox.event_history")) {
            while (r.next()) {
                rows.put(r.getObject(1, UUID.class), new Object[] {r.getLong(2), r.getString(3)});
            }
        }
        return rows;
    }

    protected void awaitReceived(int count) {
        await(count + " messages at the consumer", WAIT, () -> received().size() >= count);
    }

    /**
     * How many events (over 100 keys) {@code deliversEveryEventAsWritten…} writes: 5,000 unless a
     * subclass's consumer cannot receive that many within {@link #WAIT} (an emulator's delivery
     * path that is slow by nature), which it then says where it lowers this.
     */
    protected int deliveredEventCount() {
        return 5_000;
    }

    @Test
    void deliversEveryEventAsWrittenWithCloudEventsAttributesInPerKeyOrder() throws Exception {
        List<OutboxEvent> events = write(aggregateType, deliveredEventCount(), 100);
        startRelay(transport(Map.of()), fast());
        awaitAllPublished(db, WAIT);
        awaitReceived(events.size());

        List<Received> received = received();
        Map<UUID, Object[]> stored = stored();
        Map<String, OutboxEvent> byId = new HashMap<>();
        events.forEach(e -> byId.put(e.id().toString(), e));
        Set<String> ids = new HashSet<>();
        Map<String, Long> lastSeqByKey = new HashMap<>();
        for (Received m : received) {
            String id = attribute(m, "id");
            OutboxEvent e = byId.get(id);
            assertThat(e).as("received an event that was written: %s", id).isNotNull();
            ids.add(id);
            assertThat(attribute(m, "specversion")).isEqualTo("1.0");
            assertThat(attribute(m, "type")).isEqualTo(e.type());
            assertThat(attribute(m, "subject")).isEqualTo(e.aggregateId());
            assertThat(attribute(m, "source")).isEqualTo(CloudEvent.DEFAULT_SOURCE);
            assertThat(attribute(m, "time")).isEqualTo(e.occurredAt().toString());
            assertThat(attribute(m, "traceparent")).isEqualTo(TRACEPARENT);
            assertThat(attribute(m, "correlationid")).isEqualTo(e.correlationId().orElseThrow());
            Object[] row = stored.get(e.id());
            assertThat(new String(m.body(), StandardCharsets.UTF_8)).as("payload bytes of %s", id).isEqualTo(row[1]);
            long seq = (Long) row[0];
            Long last = lastSeqByKey.put(e.aggregateId(), seq);
            assertThat(last == null || last < seq).as("per-key order of %s", e.aggregateId()).isTrue();
        }
        assertThat(ids).hasSize(events.size());
        assertThat(received).hasSize(events.size());
    }

    @Test
    void nothingIsMarkedWhileTheServerIsDownAndEverythingArrivesAfterItIsBack() throws Exception {
        stopServer();
        try {
            write(aggregateType, 300, 30);
            Relay relay = startRelay(transport(Map.of()), fast());
            await("the relay noticed the outage", WAIT, () -> relay.stats().transportErrors() + relay.stats().failed() >= 1);
            assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history")).isZero();
        } finally {
            startServer();
        }
        awaitAllPublished(db, WAIT);
        awaitReceived(300);
        Set<String> ids = new HashSet<>();
        for (Received m : received()) {
            ids.add(attribute(m, "id"));
        }
        assertThat(ids).as("none lost").hasSize(300);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL")).isZero();
    }

    @Test
    void nonRetryableFailuresGoDeadAfterTheConfiguredAttemptsWhileOtherKeysFlow() throws Exception {
        String poison = aggregateType + "x";
        makeUndeliverable(poison);
        write(poison, 3, 1);
        write(aggregateType, 200, 20);
        Map<String, String> routes = new HashMap<>(config(aggregateType));
        Relay relay = startRelay(factory().create(ConfigReader.require(factory().config(), routes)), fast().maxNonRetryableAttempts(2));
        await("the poison event is dead", WAIT, () -> db.queryLong(
                "SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL") == 1);
        awaitReceived(200);
        assertThat(db.queryLong("SELECT attempts FROM outbox.event WHERE dead_at IS NOT NULL")).isEqualTo(2);
        assertThat(db.queryString("SELECT last_error FROM outbox.event WHERE dead_at IS NOT NULL")).startsWith("non-retryable");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE aggregatetype = '" + poison
                + "' AND published_at IS NULL AND dead_at IS NULL")).as("its key's later events wait").isEqualTo(2);
        assertThat(relay.stats().dead()).isEqualTo(1);
    }
}
