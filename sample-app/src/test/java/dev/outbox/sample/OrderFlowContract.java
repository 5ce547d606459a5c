package dev.outbox.sample;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.Relay;
import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.ops.ReplayRequest;
import dev.outbox.relay.ops.ReplayResult;
import dev.outbox.sample.broker.Retries;
import dev.outbox.sample.consumers.EventHandler;
import dev.outbox.sample.consumers.InboxConsumer;
import dev.outbox.sample.consumers.Inventory;
import dev.outbox.sample.consumers.ReceivedEvent;
import dev.outbox.sample.consumers.Trace;
import dev.outbox.sample.demo.OrderClient;
import dev.outbox.testing.Await;
import dev.outbox.testing.TestDatabase;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The sample end to end on real services: the app and its consumers in-process, HTTP clients, the
 * relay in-process with a real broker transport. Subclasses supply the broker. The tests build on
 * each other's data in the declared order (one database and broker set-up per class, to stay fast).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class OrderFlowContract {
    /** Events written: queued or dead in outbox.event, published in outbox.event_history (one snapshot). */
    private static final String EVENTS_WRITTEN = "SELECT (SELECT count(*) FROM outbox.event)"
            + " + (SELECT count(*) FROM outbox.event_history)";

    static final int ORDERS = 500;
    static final int CANCELLED = 100;
    static final Map<String, Integer> INITIAL_STOCK = Map.of("A-1", 400, "B-2", 150, "C-3", 1000);
    static final Duration WAIT = Duration.ofSeconds(60);

    final String suffix = UUID.randomUUID().toString().substring(0, 8);
    TestDatabase db;
    Jdbi jdbi;
    SampleApp app;
    Relay relay;
    OrderClient api;
    PGSimpleDataSource relayDataSource;
    final ByteArrayOutputStream traceBytes = new ByteArrayOutputStream();
    /** Inventory effects per event id, counted by a decorator around the real handler. */
    final Map<UUID, AtomicInteger> inventoryEffects = new ConcurrentHashMap<>();
    /** Versions per order in the order inventory applied them. */
    final Map<UUID, List<Integer>> versionsApplied = new ConcurrentHashMap<>();
    /** Customer whose OrderPlaced makes inventory crash once after its effect, before the commit. */
    volatile String crashFor = "";
    final AtomicInteger crashes = new AtomicInteger();
    /** Customer whose OrderPlaced makes inventory fail on every attempt (a poison message). */
    volatile String poisonFor = "";

    /** The app's configuration for this broker. */
    abstract SampleConfig config(String jdbcUrl);

    /** The relay, embedded as an application would, with this broker's real transport; started. */
    abstract Relay startRelay(DataSource relayDataSource);

    /** Deletes the broker objects this class created. */
    abstract void deleteBrokerObjects() throws Exception;

    /** How many messages the broker holds in {@code consumer}'s dead-letter queue (or topic). */
    abstract long deadLettered(String consumer) throws Exception;

    @BeforeAll
    void start() throws Exception {
        db = TestDatabase.create();
        SampleConfig config = config(db.jdbcUrl());
        Inventory inventory = new Inventory();
        // The crash hook is a collaborator composed here, not a flag in production code.
        EventHandler recordingInventory = (handle, event) -> {
            String effect = inventory.handle(handle, event);
            if (event.type().equals("OrderPlaced") && event.payload().getString("customer").equals(poisonFor)) {
                throw new IllegalStateException("simulated poison message: inventory fails on every attempt");
            }
            if (event.type().equals("OrderPlaced") && event.payload().getString("customer").equals(crashFor)
                    && crashes.compareAndSet(0, 1)) {
                throw new IllegalStateException("simulated crash after the effect, before the commit");
            }
            inventoryEffects.computeIfAbsent(event.id(), id -> new AtomicInteger()).incrementAndGet();
            versionsApplied.computeIfAbsent(event.orderId(), id -> new CopyOnWriteArrayList<>()).add(event.version());
            return effect;
        };
        app = SampleApp.builder(config).inventory(recordingInventory)
                .trace(new Trace(new PrintStream(traceBytes, true, StandardCharsets.UTF_8))).start();
        jdbi = Jdbi.create(db.jdbcUrl());
        INITIAL_STOCK.forEach((sku, n) -> jdbi.useHandle(h -> h.execute(
                "UPDATE sample.stock SET available = ?, reserved = 0 WHERE sku = ?", n, sku)));
        api = new OrderClient(URI.create("http://127.0.0.1:" + app.port()));
        relayDataSource = new PGSimpleDataSource();
        relayDataSource.setURL(db.jdbcUrl() + "&options=-c%20role%3Doutbox_relay");
        relay = startRelay(relayDataSource);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (relay != null) {
                relay.close();
            }
            if (app != null) {
                app.close();
            }
        } finally {
            try {
                deleteBrokerObjects();
            } finally {
                db.close();
            }
        }
    }

    @Test
    @Order(1)
    void concurrentClientsGetExactlyOneEffectPerEventInVersionOrder() throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<UUID>> placed = new ArrayList<>();
        Random random = new Random(42);
        for (int i = 0; i < ORDERS; i++) {
            JsonObject order = randomOrder("customer" + i, random);
            boolean cancel = i % (ORDERS / CANCELLED) == 0;
            placed.add(clients.submit(() -> {
                OrderClient.Response r = api.place(order);
                assertThat(r.status()).as("%s", r.body()).isEqualTo(201);
                UUID id = UUID.fromString(r.body().getString("id"));
                if (cancel) {
                    assertThat(api.cancel(id).status()).isEqualTo(200);
                }
                return id;
            }));
        }
        for (Future<UUID> f : placed) {
            f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        clients.shutdown();
        int events = ORDERS + CANCELLED;
        assertThat(count(EVENTS_WRITTEN)).isEqualTo(events);
        await("both consumers processed every event", () ->
                count("SELECT count(*) FROM outbox.inbox WHERE consumer = 'inventory'") == events
                        && count("SELECT count(*) FROM outbox.inbox WHERE consumer = 'notifications'") == events);

        assertThat(count("SELECT count(*) FROM sample.sent_emails")).isEqualTo(events);
        assertThat(inventoryEffects).hasSize(events).allSatisfy((id, n) -> assertThat(n.get()).isEqualTo(1));
        assertStockConsistent();
        assertThat(count("SELECT count(*) FROM sample.inventory_orders WHERE status = 'CANCELLED' AND last_version = 2"))
                .isEqualTo(CANCELLED);
        assertThat(count("SELECT coalesce(sum(r.reserved), 0) FROM sample.reservations r"
                + " JOIN sample.inventory_orders o USING (order_id) WHERE o.status = 'CANCELLED'")).isZero();
        // Per-key order from the relay and one consumer per queue/partition: versions arrive in order.
        assertThat(versionsApplied.values()).allSatisfy(v -> assertThat(v).isSorted());
        assertThat(count("SELECT count(*) FROM sample.reservations WHERE backordered > 0"))
                .as("the stock of B-2 is short on purpose").isPositive();
    }

    @Test
    @Order(2)
    void replayedDuplicatesHaveNoSecondEffect() throws Exception {
        String before = snapshot();
        long duplicatesBefore = duplicatesIgnored();
        Operations ops = Operations.create(relayDataSource, "outbox");
        ReplayResult replay = ops.replay(ReplayRequest.between(Instant.now().minus(Duration.ofHours(1)), Instant.now()));
        assertThat(replay.requeued()).isEqualTo(ORDERS + CANCELLED);
        await("the relay re-sent every event", () -> ops.replayPending(replay) == 0);
        await("both consumers saw every duplicate", () -> duplicatesIgnored() - duplicatesBefore == 2L * replay.requeued());
        assertThat(snapshot()).isEqualTo(before);
        assertThat(inventoryEffects.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    }

    @Test
    @Order(3)
    void aCrashBeforeTheCommitIsRedeliveredAndAppliedOnce() throws Exception {
        crashFor = "crash-test";
        long reservedBefore = count("SELECT reserved FROM sample.stock WHERE sku = 'C-3'");
        OrderClient.Response r = api.place(order("crash-test", line("C-3", 3)));
        UUID event = UUID.fromString(r.body().getString("event"));
        await("inventory processed the event", () -> count("SELECT count(*) FROM outbox.inbox WHERE consumer = 'inventory'"
                + " AND event_id = '" + event + "'") == 1);
        assertThat(crashes.get()).isEqualTo(1);
        assertThat(inventoryEffects.get(event).get()).isEqualTo(1);
        assertThat(count("SELECT reserved FROM sample.stock WHERE sku = 'C-3'")).isEqualTo(reservedBefore + 3);
        assertThat(count("SELECT count(*) FROM sample.reservations WHERE order_id = '" + r.body().getString("id") + "'"))
                .isEqualTo(1);
        assertThat(trace()).contains("failed (attempt 1), rolled back");
    }

    @Test
    @Order(4)
    void aRequestThatRollsBackWritesNoEvent() {
        long events = count(EVENTS_WRITTEN);
        long orders = count("SELECT count(*) FROM sample.orders");
        // The unknown SKU is found by the deferred foreign key at commit, after the event's INSERT.
        OrderClient.Response unknownSku = api.place(order("erin", line("A-1", 1), line("Z-9", 1)));
        assertThat(unknownSku.status()).isEqualTo(400);
        assertThat(unknownSku.body().getString("error")).contains("unknown sku").contains("Z-9");
        OrderClient.Response invalid = api.placeRaw("{\"customer\": \"x\", \"email\": \"x@example.com\", \"lines\": []}");
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.body().getString("error")).startsWith("lines must be an array of 1 to 20 lines");
        assertThat(api.placeRaw("{not json").status()).isEqualTo(400);
        assertThat(api.cancel(UUID.randomUUID()).status()).isEqualTo(404);
        assertThat(count(EVENTS_WRITTEN)).isEqualTo(events);
        assertThat(count("SELECT count(*) FROM sample.orders")).isEqualTo(orders);
    }

    @Test
    @Order(5)
    void aCancellationArrivingBeforeItsOrderReservesNothing() throws Exception {
        UUID orderId = UUID.randomUUID();
        InboxConsumer inventory = new InboxConsumer("inventory-reorder-test", jdbi, new Inventory(), Trace.silent());
        long reservedBefore = count("SELECT sum(reserved) FROM sample.stock");
        inventory.process(new ReceivedEvent(UUID.randomUUID(), "OrderCancelled", orderId,
                Json.createObjectBuilder().add("orderId", orderId.toString()).add("version", 2).build()));
        inventory.process(new ReceivedEvent(UUID.randomUUID(), "OrderPlaced", orderId, Json.createObjectBuilder()
                .add("orderId", orderId.toString()).add("version", 1).add("customer", "late").add("email", "l@example.com")
                .add("lines", Json.createArrayBuilder().add(line("A-1", 1))).build()));
        assertThat(count("SELECT sum(reserved) FROM sample.stock")).isEqualTo(reservedBefore);
        assertThat(count("SELECT count(*) FROM sample.reservations WHERE order_id = '" + orderId + "'")).isZero();
    }

    // ------------------------------------------------------------------------------------------

    @Test
    @Order(6)
    void anEventThatKeepsFailingGoesToTheDeadLetterQueueAfterItsRetries() throws Exception {
        poisonFor = "poison-test";
        long before = deadLettered("inventory");
        OrderClient.Response r = api.place(order("poison-test", line("A-1", 1)));
        UUID event = UUID.fromString(r.body().getString("event"));
        await("the poison message is dead-lettered", () -> deadLettered("inventory") == before + 1);
        assertThat(count("SELECT count(*) FROM outbox.inbox WHERE consumer = 'inventory' AND event_id = '" + event + "'"))
                .as("every attempt rolled back").isZero();
        await("notifications, a separate consumer, still processed it", () -> count("SELECT count(*) FROM outbox.inbox"
                + " WHERE consumer = 'notifications' AND event_id = '" + event + "'") == 1);
        assertThat(deadLettered("notifications")).isZero();
    }

    void assertStockConsistent() {
        INITIAL_STOCK.forEach((sku, initial) -> {
            assertThat(count("SELECT available + reserved FROM sample.stock WHERE sku = '" + sku + "'")).isEqualTo(initial.longValue());
            assertThat(count("SELECT available FROM sample.stock WHERE sku = '" + sku + "'")).isNotNegative();
            assertThat(count("SELECT reserved FROM sample.stock WHERE sku = '" + sku + "'"))
                    .isEqualTo(count("SELECT coalesce(sum(reserved), 0) FROM sample.reservations WHERE sku = '" + sku + "'"));
        });
    }

    String snapshot() {
        return jdbi.withHandle(h -> h.createQuery("SELECT (SELECT string_agg(s::text, ',' ORDER BY sku) FROM sample.stock s)"
                + " || (SELECT count(*) FROM sample.sent_emails) || (SELECT count(*) FROM sample.reservations)"
                + " || (SELECT string_agg(o::text, ',' ORDER BY order_id) FROM sample.inventory_orders o)").mapTo(String.class).one());
    }

    long duplicatesIgnored() {
        return trace().lines().filter(l -> l.contains("duplicate ignored")).count();
    }

    String trace() {
        synchronized (traceBytes) {
            return traceBytes.toString(StandardCharsets.UTF_8);
        }
    }

    long count(String sql) {
        return jdbi.withHandle(h -> h.createQuery(sql).mapTo(Long.class).one());
    }

    static void await(String what, Callable<Boolean> condition) {
        Await.await(what, WAIT, condition);
    }

    static JsonObject randomOrder(String customer, Random random) {
        List<String> skus = new ArrayList<>(INITIAL_STOCK.keySet().stream().sorted().toList());
        java.util.Collections.shuffle(skus, random);
        JsonObject[] lines = new JsonObject[1 + random.nextInt(3)];
        for (int i = 0; i < lines.length; i++) {
            lines[i] = line(skus.get(i), 1 + random.nextInt(3));
        }
        return order(customer, lines);
    }

    static JsonObject order(String customer, JsonObject... lines) {
        JsonArrayBuilder array = Json.createArrayBuilder();
        for (JsonObject l : lines) {
            array.add(l);
        }
        return Json.createObjectBuilder().add("customer", customer).add("email", customer + "@example.com")
                .add("lines", array).build();
    }

    static JsonObject line(String sku, int quantity) {
        return Json.createObjectBuilder().add("sku", sku).add("quantity", quantity).build();
    }

    static Retries fastRetries() {
        return new Retries(5, Duration.ofMillis(20));
    }

    static String requireEnv(String name, String example) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set: point it at the service, e.g. " + name + "=" + example
                    + " (scripts/test sets it)");
        }
        return value;
    }
}
