package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.testing.TestDatabase;
import jakarta.json.Json;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import dev.outbox.core.jdbi.JdbiInbox;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The README's quick-start code, compiled and run here. The regions between {@code tag::} and
 * {@code end::} markers must appear verbatim in README.md ({@link ReadmeSnippetsTest} checks).
 */
class ReadmeExamplesIT {
    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create();
        db.execute("CREATE TABLE orders (id text PRIMARY KEY, total numeric NOT NULL);"
                + " CREATE TABLE stock (sku text PRIMARY KEY, reserved int NOT NULL);"
                + " INSERT INTO stock VALUES ('A-1', 0)");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    static void placeOrder(DataSource dataSource, String orderId, BigDecimal total, String requestId)
            throws SQLException {
        // tag::writer[]
        Outbox outbox = Outbox.create();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO orders (id, total) VALUES (?, ?)")) {
                insert.setString(1, orderId);
                insert.setBigDecimal(2, total);
                insert.executeUpdate();
            }
            outbox.append(connection, OutboxEvent.builder("Order", orderId, "OrderPlaced")
                    .payload(Json.createObjectBuilder().add("orderId", orderId).add("total", total).build())
                    .correlationId(requestId)
                    .build());
            connection.commit(); // the order and its event, or neither
        }
        // end::writer[]
    }

    static boolean reserveStock(Jdbi jdbi, UUID eventId, String sku) {
        // tag::inbox[]
        JdbiInbox inbox = JdbiInbox.of(Inbox.create("inventory"));
        return jdbi.inTransaction(handle ->
                inbox.receiveOnce(handle, eventId, h ->
                        h.execute("UPDATE stock SET reserved = reserved + 1 WHERE sku = ?", sku)));
        // end::inbox[]
    }

    @Test
    void writerExampleCommitsOrderAndEventTogether() throws Exception {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(db.jdbcUrl());
        placeOrder(dataSource, "o-1", new BigDecimal("99.50"), "req-1");
        assertThat(db.queryLong("SELECT count(*) FROM orders")).isEqualTo(1);
        assertThat(db.queryString("SELECT payload->>'total' FROM outbox.event WHERE aggregateid = 'o-1'"))
                .isEqualTo("99.50");
        assertThat(db.queryString("SELECT headers->>'correlationid' FROM outbox.event")).isEqualTo("req-1");
    }

    @Test
    void inboxExampleReservesStockOncePerEvent() {
        Jdbi jdbi = Jdbi.create(db.jdbcUrl());
        UUID eventId = UUID.randomUUID();
        assertThat(reserveStock(jdbi, eventId, "A-1")).isTrue();
        assertThat(reserveStock(jdbi, eventId, "A-1")).isFalse();
        assertThat(db.queryLong("SELECT reserved FROM stock WHERE sku = 'A-1'")).isEqualTo(1);
    }
}
