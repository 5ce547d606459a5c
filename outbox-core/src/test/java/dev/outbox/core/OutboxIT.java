package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import dev.outbox.core.jdbi.JdbiOutbox;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OutboxIT {
    private static TestDatabase db;
    private final Outbox outbox = Outbox.create();

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create();
        db.execute("CREATE TABLE orders (id text PRIMARY KEY, total numeric NOT NULL)");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void empty() {
        db.execute("TRUNCATE outbox.event, orders");
    }

    private static OutboxEvent placed(String orderId) {
        return OutboxEvent.builder("Order", orderId, "OrderPlaced")
                .payload("{\"orderId\": \"" + orderId + "\", \"total\": 12.50}")
                .traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                .correlationId("req-" + orderId)
                .build();
    }

    private static void insertOrder(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO orders VALUES (?, 12.50)")) {
            s.setString(1, id);
            s.executeUpdate();
        }
    }

    @Test
    void committedEventIsStoredWithAllFieldsAndUndeliveredState() throws Exception {
        OutboxEvent event = placed("o-1");
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            insertOrder(c, "o-1");
            outbox.append(c, event);
            c.commit();
        }
        try (Connection c = db.connect()) {
            assertThat(outbox.find(c, event.id())).contains(event);
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT seq, attempts, next_attempt_at, last_error, published_at, dead_at FROM outbox.event")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getLong("seq")).isPositive();
                assertThat(r.getInt("attempts")).isZero();
                for (String column : List.of("next_attempt_at", "last_error", "published_at", "dead_at")) {
                    assertThat(r.getObject(column)).as(column).isNull();
                }
                assertThat(r.next()).isFalse();
            }
        }
    }

    @Test
    void rolledBackTransactionLeavesNeitherEventNorBusinessRow() throws Exception {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            insertOrder(c, "o-2");
            outbox.append(c, placed("o-2"));
            c.rollback();
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM orders")).isZero();
    }

    @Test
    void joinsCallerTransactionWithoutCommittingOrChangingAutoCommit() throws Exception {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            outbox.append(c, placed("o-3"));
            outbox.appendAll(c, List.of(placed("o-4"), placed("o-5")));
            assertThat(c.getAutoCommit()).isFalse();
            assertThat(db.queryLong("SELECT count(*) FROM outbox.event"))
                    .as("uncommitted events are invisible to other transactions").isZero();
            c.commit();
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(3);
    }

    @Test
    void autoCommitConnectionCommitsEachAppendOnItsOwn() throws Exception {
        try (Connection c = db.connect()) {
            assertThat(c.getAutoCommit()).isTrue();
            outbox.append(c, placed("o-6"));
            assertThat(c.getAutoCommit()).isTrue();
            assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(1);
        }
    }

    @Test
    void appendAllWritesEveryEventInIterationOrder() throws Exception {
        List<OutboxEvent> events = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            events.add(placed("o-" + (i % 7)));
        }
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            outbox.appendAll(c, events);
            c.commit();
            List<UUID> stored = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT id FROM outbox.event ORDER BY seq")) {
                while (r.next()) {
                    stored.add(r.getObject(1, UUID.class));
                }
            }
            assertThat(stored).containsExactlyElementsOf(events.stream().map(OutboxEvent::id).toList());
        }
    }

    @Test
    void failedAppendAllWritesNothingEvenInAutoCommitMode() throws Exception {
        OutboxEvent existing = placed("o-7");
        try (Connection c = db.connect()) {
            outbox.append(c, existing);
            OutboxEvent duplicate = OutboxEvent.builder("Order", "o-7", "OrderPlaced").id(existing.id()).payload("{}").build();
            assertThatThrownBy(() -> outbox.appendAll(c, List.of(placed("o-8"), duplicate, placed("o-9"))))
                    .isInstanceOf(OutboxException.class)
                    .hasMessageContaining("Could not append 3 event(s) to \"outbox\".event")
                    .hasMessageContaining("ids must be unique");
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(1);
    }

    @Test
    void nullEventInBatchIsRejectedBeforeAnythingIsWritten() throws Exception {
        try (Connection c = db.connect()) {
            assertThatThrownBy(() -> outbox.appendAll(c, Arrays.asList(placed("o-10"), null)))
                    .isInstanceOf(OutboxException.class)
                    .hasMessage("events[1] must not be null");
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isZero();
    }

    @Test
    void badInputGivesClearErrorAndWritesNothing() throws Exception {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            insertOrder(c, "o-11");
            assertThatThrownBy(() -> outbox.append(c, OutboxEvent.builder("Order", "o-11", "OrderPlaced")
                    .payload("{not json}").build()))
                    .isInstanceOf(OutboxException.class).hasMessageContaining("not valid JSON");
            assertThatThrownBy(() -> outbox.append(c, OutboxEvent.builder("Order", "o-11", " ")
                    .payload("{}").build()))
                    .isInstanceOf(OutboxException.class).hasMessageContaining("event.type must not be blank");
            String twoMiB = "[\"" + "x".repeat(2 << 20) + "\"]";
            assertThatThrownBy(() -> outbox.append(c, OutboxEvent.builder("Order", "o-11", "OrderPlaced")
                    .payload(twoMiB).build()))
                    .isInstanceOf(OutboxException.class).hasMessageContaining("event.payload must be at most 1048576 bytes");
            assertThatThrownBy(() -> Outbox.builder().schema("x; drop table y"))
                    .isInstanceOf(OutboxException.class).hasMessageContaining("plain SQL identifier");
            // The transaction is still usable: validation happens before any SQL is sent.
            c.commit();
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM orders")).isEqualTo(1);
    }

    @Test
    void appendsThroughJdbiHandleInItsTransaction() {
        Jdbi jdbi = Jdbi.create(db.jdbcUrl());
        JdbiOutbox outbox = JdbiOutbox.of(this.outbox);
        OutboxEvent committed = placed("o-12");
        jdbi.useTransaction(h -> {
            h.execute("INSERT INTO orders VALUES ('o-12', 1)");
            outbox.append(h, committed);
        });
        assertThatThrownBy(() -> jdbi.useTransaction(h -> {
            h.execute("INSERT INTO orders VALUES ('o-13', 1)");
            outbox.appendAll(h, List.of(placed("o-13"), placed("o-13")));
            throw new IllegalStateException("business rule failed after the append");
        })).isInstanceOf(IllegalStateException.class);

        List<UUID> stored = jdbi.withHandle(h -> h.createQuery("SELECT id FROM outbox.event").mapTo(UUID.class).list());
        assertThat(stored).containsExactly(committed.id());
        assertThat(db.queryLong("SELECT count(*) FROM orders")).isEqualTo(1);
    }

    @Test
    void missingTablesGiveAnActionableMessage() throws Exception {
        Outbox elsewhere = Outbox.builder().schema("not_migrated").build();
        try (Connection c = db.connect()) {
            assertThatThrownBy(() -> elsewhere.append(c, placed("o-14")))
                    .isInstanceOf(OutboxException.class)
                    .hasMessageContaining("\"not_migrated\".event")
                    .hasMessageContaining("Apply the migrations in sql/");
        }
    }

    @Test
    void writesToAConfiguredSchema() throws Exception {
        db.execute("CREATE SCHEMA IF NOT EXISTS tenant_a;"
                + " CREATE TABLE IF NOT EXISTS tenant_a.event (LIKE outbox.event INCLUDING ALL)");
        Outbox tenant = Outbox.builder().schema("tenant_a").build();
        OutboxEvent event = placed("o-15");
        try (Connection c = db.connect()) {
            tenant.append(c, event);
            assertThat(tenant.find(c, event.id())).contains(event);
            assertThat(outbox.find(c, event.id())).isEmpty();
        }
    }

    @Test
    void applicationRoleCanAppendButNotReadBack() throws Exception {
        OutboxEvent event = placed("o-16");
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE)) {
            outbox.append(c, event);
            assertThatThrownBy(() -> outbox.find(c, event.id()))
                    .isInstanceOf(OutboxException.class)
                    .hasMessageContaining("permission denied")
                    .hasMessageContaining("outbox_relay");
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(1);
    }

    @Test
    void aFailingContextNeverStopsTheWrite() throws Exception {
        Outbox failing = Outbox.builder().contextHeaders(() -> {
            throw new IllegalStateException("tracing is broken");
        }).build();
        Outbox invalid = Outbox.builder().contextHeaders(() -> Map.of("traceparent", "garbage")).build();
        OutboxEvent first = OutboxEvent.builder("Order", "o-1", "OrderPlaced").payload("{}").build();
        OutboxEvent second = OutboxEvent.builder("Order", "o-2", "OrderPlaced").payload("{}").build();

        try (Connection c = db.connect()) {
            failing.append(c, first);
            invalid.append(c, second);

            assertThat(failing.find(c, first.id()).orElseThrow().headers()).isEmpty();
            assertThat(failing.find(c, second.id()).orElseThrow().headers()).isEmpty();
        }
    }

    @Test
    void contextHeadersAreStoredUnlessTheEventHasATraceparent() throws Exception {
        String context = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        Outbox traced = Outbox.builder().contextHeaders(() -> Map.of("traceparent", context, "tracestate", "congo=1")).build();
        OutboxEvent plain = OutboxEvent.builder("Order", "o-1", "OrderPlaced").payload("{}").build();
        OutboxEvent explicit = placed("o-2");

        try (Connection c = db.connect()) {
            traced.appendAll(c, List.of(plain, explicit));

            assertThat(traced.find(c, plain.id()).orElseThrow().headers())
                    .isEqualTo(Map.of("traceparent", context, "tracestate", "congo=1"));
            assertThat(traced.find(c, explicit.id()).orElseThrow().headers()).isEqualTo(explicit.headers());
        }
    }
}
