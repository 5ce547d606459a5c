package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.testing.Await;
import dev.outbox.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import dev.outbox.core.jdbi.JdbiInbox;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InboxIT {
    private static TestDatabase db;
    private final Inbox inventory = Inbox.create("inventory");

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create();
        // A consumer's own table: one row per effect, so a second effect is visible.
        db.execute("CREATE TABLE effects (consumer text NOT NULL, event_id uuid NOT NULL);"
                + " GRANT SELECT, INSERT ON effects TO outbox_app");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void empty() {
        db.execute("TRUNCATE outbox.inbox, effects");
    }

    private static void recordEffect(Connection c, String consumer, UUID eventId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO effects VALUES (?, ?)")) {
            s.setString(1, consumer);
            s.setObject(2, eventId);
            s.executeUpdate();
        }
    }

    private boolean deliver(Inbox inbox, UUID eventId) throws SQLException {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            boolean first = inbox.receiveOnce(c, eventId, tx -> recordEffect(tx, inbox.consumer(), eventId));
            c.commit();
            return first;
        }
    }

    @Test
    void firstDeliveryRunsTheWorkAndRecordsTheEvent() throws Exception {
        UUID id = UUID.randomUUID();
        assertThat(deliver(inventory, id)).isTrue();
        assertThat(db.queryLong("SELECT count(*) FROM effects")).isEqualTo(1);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.inbox WHERE consumer = 'inventory' AND event_id = '"
                + id + "'")).isEqualTo(1);
    }

    @Test
    void redeliveredEventHasNoSecondEffect() throws Exception {
        UUID id = UUID.randomUUID();
        assertThat(deliver(inventory, id)).isTrue();
        assertThat(deliver(inventory, id)).isFalse();
        assertThat(deliver(inventory, id)).isFalse();
        assertThat(db.queryLong("SELECT count(*) FROM effects")).isEqualTo(1);
    }

    @Test
    void failedWorkRollsBackWithTheRecordSoARedeliveryRunsItAgain() throws Exception {
        UUID id = UUID.randomUUID();
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            assertThatThrownBy(() -> inventory.receiveOnce(c, id, tx -> {
                recordEffect(tx, "inventory", id);
                throw new java.io.IOException("stock service unavailable");
            })).isInstanceOf(java.io.IOException.class).hasMessage("stock service unavailable");
            c.rollback();
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.inbox")).isZero();
        assertThat(deliver(inventory, id)).isTrue();
        assertThat(db.queryLong("SELECT count(*) FROM effects")).isEqualTo(1);
    }

    @Test
    void eachConsumerProcessesTheEventOnce() throws Exception {
        UUID id = UUID.randomUUID();
        Inbox notifications = Inbox.create("notifications");
        assertThat(deliver(inventory, id)).isTrue();
        assertThat(deliver(notifications, id)).isTrue();
        assertThat(deliver(notifications, id)).isFalse();
        assertThat(db.queryLong("SELECT count(*) FROM effects")).isEqualTo(2);
    }

    @Test
    void concurrentDeliveriesOfTheSameEventGiveExactlyOneEffect() throws Exception {
        int events = 100;
        int racers = 2;
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            ids.add(UUID.randomUUID());
        }
        CyclicBarrier together = new CyclicBarrier(racers);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            List<Future<Integer>> firsts = new ArrayList<>();
            for (int r = 0; r < racers; r++) {
                firsts.add(pool.submit(() -> {
                    int ran = 0;
                    try (Connection c = db.connect()) {
                        c.setAutoCommit(false);
                        for (UUID id : ids) {
                            together.await(10, TimeUnit.SECONDS); // both insert the same id at once
                            if (inventory.receiveOnce(c, id, tx -> recordEffect(tx, "inventory", id))) {
                                ran++;
                            }
                            c.commit();
                        }
                    }
                    return ran;
                }));
            }
            int total = 0;
            for (Future<Integer> f : firsts) {
                total += f.get(60, TimeUnit.SECONDS);
            }
            assertThat(total).as("deliveries that ran the work").isEqualTo(events);
        } finally {
            pool.shutdownNow();
        }
        assertThat(db.queryLong("SELECT count(*) FROM effects")).isEqualTo(events);
        assertThat(db.queryLong("SELECT count(DISTINCT event_id) FROM effects")).isEqualTo(events);
    }

    @Test
    void concurrentDeliveryWaitsForARollbackAndThenDoesTheWork() throws Exception {
        UUID id = UUID.randomUUID();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection first = db.connect()) {
            first.setAutoCommit(false);
            assertThat(inventory.receiveOnce(first, id, tx -> recordEffect(tx, "inventory", id))).isTrue();
            Future<Boolean> second = pool.submit(() -> deliver(inventory, id));
            // The second delivery blocks on the first one's uncommitted inbox row.
            awaitLockWaiters(1);
            assertThat(second).isNotDone();
            first.rollback();
            assertThat(second.get(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(db.queryLong("SELECT count(*) FROM effects")).isEqualTo(1);
    }

    private static void awaitLockWaiters(int count) {
        Await.await(count + " transaction(s) waiting for a lock", Duration.ofSeconds(30), () -> db.queryLong(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
                >= count);
    }

    @Test
    void refusesAutoCommitConnectionBecauseTheRecordWouldCommitWithoutTheWork() throws Exception {
        UUID id = UUID.randomUUID();
        try (Connection c = db.connect()) {
            assertThatThrownBy(() -> inventory.receiveOnce(c, id, tx -> recordEffect(tx, "inventory", id)))
                    .isInstanceOf(OutboxException.class)
                    .hasMessageContaining("needs a transaction")
                    .hasMessageContaining("setAutoCommit(false)");
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.inbox")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM effects")).isZero();
    }

    @Test
    void worksWithJdbiHandleInsideItsTransaction() {
        Jdbi jdbi = Jdbi.create(db.jdbcUrl());
        JdbiInbox inventory = JdbiInbox.of(this.inventory);
        UUID id = UUID.randomUUID();
        String insert = "INSERT INTO effects VALUES ('inventory', ?)";
        boolean first = jdbi.inTransaction(h -> inventory.receiveOnce(h, id, tx -> tx.execute(insert, id)));
        boolean second = jdbi.inTransaction(h -> inventory.receiveOnce(h, id, tx -> tx.execute(insert, id)));
        assertThat(first).isTrue();
        assertThat(second).isFalse();
        assertThatThrownBy(() -> jdbi.useHandle(h -> inventory.receiveOnce(h, UUID.randomUUID(), tx -> { })))
                .isInstanceOf(OutboxException.class).hasMessageContaining("auto-commit");
        assertThat(db.queryLong("SELECT count(*) FROM effects")).isEqualTo(1);
    }

    @Test
    void purgeDeletesOnlyThisConsumersOldRecordsInBatches() throws Exception {
        db.execute("INSERT INTO outbox.inbox (consumer, event_id, processed_at)"
                + " SELECT 'inventory', gen_random_uuid(), now() - interval '8 days' FROM generate_series(1, 2500);"
                + " INSERT INTO outbox.inbox (consumer, event_id, processed_at)"
                + " SELECT 'inventory', gen_random_uuid(), now() - interval '1 hour' FROM generate_series(1, 10);"
                + " INSERT INTO outbox.inbox (consumer, event_id, processed_at)"
                + " SELECT 'notifications', gen_random_uuid(), now() - interval '30 days' FROM generate_series(1, 5)");
        Inbox inbox = Inbox.builder("inventory").purgeBatchSize(1000).build();
        try (Connection c = db.connect()) {
            assertThat(inbox.purgeOlderThan(c, Duration.ofDays(7))).isEqualTo(2500);
            assertThat(inbox.purgeOlderThan(c, Duration.ofDays(7))).isZero();
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.inbox WHERE consumer = 'inventory'")).isEqualTo(10);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.inbox WHERE consumer = 'notifications'")).isEqualTo(5);
    }

    @Test
    void applicationRoleCanReceiveAndPurge() throws Exception {
        UUID id = UUID.randomUUID();
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE)) {
            c.setAutoCommit(false);
            assertThat(inventory.receiveOnce(c, id, tx -> recordEffect(tx, "inventory", id))).isTrue();
            assertThat(inventory.receiveOnce(c, id, tx -> recordEffect(tx, "inventory", id))).isFalse();
            c.commit();
            assertThat(inventory.purgeOlderThan(c, Duration.ZERO)).isEqualTo(1);
            c.commit();
        }
        assertThat(db.queryLong("SELECT count(*) FROM effects")).isEqualTo(1);
    }
}
