package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.internal.UuidV7;
import dev.outbox.testing.TestDatabase;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.util.PSQLException;

/** The migrations in sql/ as a DBA and a plain-SQL writer see them. */
class SchemaIT {
    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create();
        db.execute("CREATE TABLE customers (id int PRIMARY KEY, email text)");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static void executeAs(String role, String sql) throws SQLException {
        try (Connection c = db.connectAs(role); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Test
    void migrationsApplyToASecondDatabaseWhileTheRolesExistAndCanBeReapplied() throws Exception {
        assertThat(db.queryLong("SELECT count(*) FROM pg_roles WHERE rolname IN ('outbox_app', 'outbox_relay')"))
                .isEqualTo(2);
        try (TestDatabase second = TestDatabase.create(); Connection c = second.connect()) {
            TestDatabase.applyMigrations(c); // once more on the same database
            assertThat(second.queryLong("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'outbox'"))
                    .isEqualTo(4); // event, event_history, inbox, relay_instance
        }
    }

    @Test
    void everyTableColumnIndexFunctionAndRoleIsCommented() {
        String inSchema = " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'outbox'";
        assertThat(db.queryLong("SELECT count(*) FROM pg_class c" + inSchema
                + " WHERE c.relkind IN ('r', 'p', 'i') AND obj_description(c.oid, 'pg_class') IS NULL"
                + " AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = c.oid)"))
                .as("tables and indexes without comment (constraint indexes excepted)").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid" + inSchema
                + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped"
                + " AND col_description(c.oid, a.attnum) IS NULL"))
                .as("columns without comment").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " AND n.nspname = 'outbox' WHERE obj_description(p.oid, 'pg_proc') IS NULL"))
                .as("functions without comment").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM pg_roles r WHERE rolname IN ('outbox_app', 'outbox_relay')"
                + " AND shobj_description(r.oid, 'pg_authid') IS NOT NULL")).isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = 'outbox'"
                + " AND obj_description(oid, 'pg_namespace') IS NOT NULL")).isEqualTo(1);
    }

    @Test
    void plainSqlContractFromTheReadmeCreatesAnEventThatJavaReadsBackIdentically() throws Exception {
        String readme = Files.readString(TestDatabase.sqlDirectory().resolve("README.md"));
        Matcher contract = Pattern.compile("<!-- contract-insert -->\\s*```sql\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(contract.find()).as("sql/README.md has the contract INSERT").isTrue();
        db.execute("TRUNCATE outbox.event");

        executeAs(TestDatabase.APP_ROLE, contract.group(1));

        UUID id = UUID.fromString(db.queryString("SELECT id::text FROM outbox.event"));
        Outbox outbox = Outbox.create();
        OutboxEvent fromSql;
        try (Connection c = db.connectAs(TestDatabase.RELAY_ROLE)) {
            fromSql = outbox.find(c, id).orElseThrow();
        }
        assertThat(id.version()).isEqualTo(7);
        OutboxEvent fromJava = OutboxEvent.builder("Order", "42", "OrderPlaced")
                .id(id)
                .occurredAt(fromSql.occurredAt())
                .payload("{\"orderId\": \"42\", \"total\": 99.50, \"lines\": [{\"sku\": \"A-1\", \"qty\": 2}]}")
                .correlationId("req-7f3a")
                .traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                .build();
        assertThat(fromSql).isEqualTo(fromJava);
        assertThat(fromSql.payloadJson()).contains("99.50");

        // And the Java writer's row reads back the same way.
        OutboxEvent written = OutboxEvent.builder("Order", "42", "OrderPlaced").payload(fromJava.payload())
                .headers(fromJava.headers()).build();
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE)) {
            outbox.append(c, written);
        }
        try (Connection c = db.connectAs(TestDatabase.RELAY_ROLE)) {
            assertThat(outbox.find(c, written.id())).contains(written);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "('Order', '1', 'OrderPlaced', '42', '{}')", // scalar payload
        "('Order', '1', ' ', '{}', '{}')", // blank type
        "('', '1', 'OrderPlaced', '{}', '{}')", // blank aggregate type
        "('Order', '1', 'OrderPlaced', '{}', '{\"n\": 1}')", // non-string header
        "('Order', '1', 'OrderPlaced', '{}', '[]')", // headers not an object
    })
    void databaseRefusesInvalidRowsFromPlainSqlWriters(String values) throws Exception {
        assertThatThrownBy(() -> executeAs(TestDatabase.APP_ROLE,
                "INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, headers) VALUES " + values))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("violates check constraint");
    }

    @Test
    void writersCannotChooseTheSequence() {
        assertThatThrownBy(() -> executeAs(TestDatabase.APP_ROLE,
                "INSERT INTO outbox.event (seq, aggregatetype, aggregateid, type, payload) VALUES (1, 'A', '1', 'T', '{}')"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("seq");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM outbox.event",
        "SELECT * FROM outbox.relay_instance",
        "UPDATE outbox.event SET published_at = now()",
        "DELETE FROM outbox.event",
        "TRUNCATE outbox.event",
        "SELECT * FROM outbox.event_history",
        "INSERT INTO outbox.event_history SELECT gen_random_uuid(), 1, 'A', '1', 'T', '{}', '{}', now(), 0, NULL, now()",
        "SELECT outbox.event_history_prepare(current_date, 1)",
        "SELECT outbox.event_history_drop(now())",
        "SELECT * FROM outbox.event_history_replay('-infinity', 'infinity', NULL, NULL)",
    })
    void applicationRoleCanOnlyInsertEvents(String sql) {
        assertThatThrownBy(() -> executeAs(TestDatabase.APP_ROLE, sql))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("permission denied");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SELECT * FROM customers",
        "SELECT * FROM outbox.inbox",
        "INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload) VALUES ('A', '1', 'T', '{}')",
        "UPDATE outbox.event SET payload = '{}'",
        "UPDATE outbox.event SET type = 'Other'",
        "CREATE TABLE outbox.sneaky (id int)",
        "UPDATE outbox.event_history SET payload = '{}'",
        "TRUNCATE outbox.event_history",
        "CREATE TABLE outbox.event_history_p19990101 PARTITION OF outbox.event_history"
                + " FOR VALUES FROM ('1999-01-01 00:00Z') TO ('1999-01-02 00:00Z')",
    })
    void relayRoleCannotReadBusinessTablesOrChangeEvents(String sql) {
        assertThatThrownBy(() -> executeAs(TestDatabase.RELAY_ROLE, sql))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("permission denied");
    }

    @Test
    void relayRoleCanReadMarkAndPurgeEvents() throws Exception {
        db.execute("TRUNCATE outbox.event; INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " SELECT 'Order', g::text, 'OrderPlaced', '{}' FROM generate_series(1, 3) g");
        try (Connection c = db.connectAs(TestDatabase.RELAY_ROLE); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            List<Long> claimed = new ArrayList<>();
            try (ResultSet r = s.executeQuery("SELECT seq FROM outbox.event WHERE published_at IS NULL AND dead_at IS NULL"
                    + " ORDER BY seq LIMIT 10 FOR UPDATE SKIP LOCKED")) {
                while (r.next()) {
                    claimed.add(r.getLong(1));
                }
            }
            assertThat(claimed).hasSize(3);
            assertThat(s.executeUpdate("UPDATE outbox.event SET attempts = attempts + 1, last_error = 'boom',"
                    + " next_attempt_at = now() WHERE seq = " + claimed.get(0))).isEqualTo(1);
            assertThat(s.executeUpdate("UPDATE outbox.event SET published_at = now() WHERE seq <> " + claimed.get(0)))
                    .isEqualTo(2);
            assertThat(s.executeUpdate("DELETE FROM outbox.event WHERE published_at IS NOT NULL")).isEqualTo(2);
            c.commit();
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(1);
    }

    @Test
    void relayRoleMovesEventsToTheHistoryAndBackAndDropsOldDaysThroughTheFunctionsOnly() throws Exception {
        db.execute("TRUNCATE outbox.event; INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " SELECT 'Order', g::text, 'OrderPlaced', '{}' FROM generate_series(1, 3) g");
        String seqs = db.queryString("SELECT string_agg(id || '/' || seq, ',' ORDER BY seq) FROM outbox.event");
        try (Connection c = db.connectAs(TestDatabase.RELAY_ROLE); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            try (ResultSet r = s.executeQuery("SELECT outbox.event_history_prepare('2000-01-01', 2)")) {
                r.next();
                assertThat(r.getInt(1)).as("partitions made").isEqualTo(2);
            }
            assertThat(s.executeUpdate("WITH d AS (DELETE FROM outbox.event RETURNING id, seq, aggregatetype, aggregateid,"
                    + " type, payload, headers, occurred_at, attempts, last_error) INSERT INTO outbox.event_history"
                    + " SELECT *, '2000-01-01 12:00Z' FROM d")).isEqualTo(3);
            c.commit();
            try (ResultSet r = s.executeQuery("SELECT * FROM outbox.event_history_replay('-infinity', 'infinity', NULL, NULL)")) {
                r.next();
                assertThat(r.getLong(1)).as("moved back").isEqualTo(3);
            }
            c.commit();
        }
        assertThat(db.queryString("SELECT string_agg(id || '/' || seq, ',' ORDER BY seq) FROM outbox.event"))
                .as("the same ids and seqs, queued again").isEqualTo(seqs);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history")).isZero();

        db.execute("INSERT INTO outbox.event_history SELECT gen_random_uuid(), 9, 'A', '1', 'T', '{}', '{}', now(), 0, NULL,"
                + " '2000-01-01 23:00Z'");
        try (Connection c = db.connectAs(TestDatabase.RELAY_ROLE); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT outbox.event_history_drop('2000-01-02 00:00Z')")) {
            r.next();
            assertThat(r.getLong(1)).as("events the dropped days held").isEqualTo(1);
        }
        assertThat(db.queryLong("SELECT count(*) FROM pg_class WHERE relname LIKE 'event_history_p2000%'"))
                .as("2000-01-01 dropped, 2000-01-02 not over yet").isEqualTo(1);
        assertThatThrownBy(() -> executeAs(TestDatabase.RELAY_ROLE, "DROP TABLE outbox.event_history_p20000102"))
                .as("only through the function").hasMessageContaining("must be owner");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "published_at) VALUES ('A', '1', 'T', '{}', now())", // never delivered
        "attempts) VALUES ('A', '1', 'T', '{}', 5)", // parks the key
        "next_attempt_at) VALUES ('A', '1', 'T', '{}', 'infinity')", // parks the key
        "last_error) VALUES ('A', '1', 'T', '{}', 'forged')",
        "dead_at) VALUES ('A', '1', 'T', '{}', now())", // shows up in dead list
    })
    void applicationRoleCannotWriteDeliveryState(String columnAndValues) {
        assertThatThrownBy(() -> executeAs(TestDatabase.APP_ROLE,
                "INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, " + columnAndValues))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("permission denied");
    }

    @Test
    void applicationRoleInsertsEveryEventColumn() throws Exception {
        db.execute("TRUNCATE outbox.event");
        UUID id = UuidV7.system().next();
        executeAs(TestDatabase.APP_ROLE, "INSERT INTO outbox.event"
                + " (id, aggregatetype, aggregateid, type, payload, headers, occurred_at)"
                + " VALUES ('" + id + "', 'Order', '42', 'OrderPlaced', '{}', '{\"correlationid\": \"c\"}',"
                + " '2026-01-02 03:04:05+00')");
        assertThat(db.queryString("SELECT concat_ws(',', id, attempts, published_at, dead_at, next_attempt_at,"
                + " last_error) FROM outbox.event")).isEqualTo(id + ",0");
    }

    @Test
    void newDatabaseHasEveryCheckValidated() {
        assertThat(db.queryLong("SELECT count(*) FROM pg_constraint WHERE connamespace = 'outbox'::regnamespace"
                + " AND contype = 'c' AND NOT convalidated")).isZero();
    }

    @Test
    void upgradingADatabaseWithRowsThatBreakTheNewRulesKeepsThemDeliverable() throws Exception {
        try (TestDatabase old = TestDatabase.createEmpty()) {
            try (Connection c = old.connect(); Statement s = c.createStatement()) {
                for (var file : TestDatabase.migrationFiles()) {
                    if (file.getFileName().toString().compareTo("V4") < 0) {
                        s.execute(Files.readString(file));
                    }
                }
            }
            // What V1-V3 accepted: 2 MiB, a key of a tab and a newline, a time RFC 3339 cannot write.
            old.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, occurred_at) VALUES"
                    + " ('Order', '1', 'OrderPlaced', jsonb_build_array(repeat('x', 2 * 1024 * 1024)), now()),"
                    + " ('Order', E'\\t\\n', 'OrderPlaced', '{}', now()),"
                    + " ('Order', '3', 'OrderPlaced', '{}', 'infinity')");

            try (Connection c = old.connect()) {
                TestDatabase.applyMigrations(c); // V1-V3 again (harmless), then V4
            }

            assertThat(old.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(3);
            assertThat(old.queryLong("SELECT count(*) FROM pg_constraint WHERE conrelid = 'outbox.event'::regclass"
                    + " AND NOT convalidated")).as("V6 checks new and re-queued rows only: nothing to validate").isZero();
            try (Connection c = old.connectAs(TestDatabase.RELAY_ROLE); Statement s = c.createStatement()) {
                // The relay can record failures and deliveries of the old rows.
                assertThat(s.executeUpdate("UPDATE outbox.event SET attempts = attempts + 1, last_error = 'too large'"
                        + " WHERE aggregateid = '1'")).isEqualTo(1);
                assertThat(s.executeUpdate("UPDATE outbox.event SET dead_at = now() WHERE aggregateid = '1'")).isEqualTo(1);
                assertThat(s.executeUpdate("UPDATE outbox.event SET published_at = now() WHERE aggregateid <> '1'"))
                        .isEqualTo(2);
                // Re-queuing one (replay clears its delivery state) is refused by the rule it breaks.
                assertThatThrownBy(() -> s.executeUpdate("UPDATE outbox.event SET published_at = NULL"
                        + " WHERE aggregateid = '3'"))
                        .hasMessageContaining("violates check constraint \"event_occurred_at_check\"");
            }
            try (Connection c = old.connectAs(TestDatabase.APP_ROLE); Statement s = c.createStatement()) {
                assertThatThrownBy(() -> s.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                        + " VALUES ('Order', E'\\t', 'OrderPlaced', '{}')"))
                        .hasMessageContaining("event_aggregateid_check");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "event_aggregateid_check: ('Order', '', 'OrderPlaced', '{}', '{}', now())",
        "event_aggregatetype_check: (repeat('x', 256), '1', 'OrderPlaced', '{}', '{}', now())",
        "event_type_check: ('Order', '1', E'\\u3000', '{}', '{}', now())",
        "event_payload_check: ('Order', '1', 'OrderPlaced', '\"text\"', '{}', now())",
        "event_payload_depth_check: ('Order', '1', 'OrderPlaced', (repeat('[', 65) || repeat(']', 65))::jsonb, '{}', now())",
        "event_payload_size_check: ('Order', '1', 'OrderPlaced', jsonb_build_array(repeat('x', 1048576)), '{}', now())",
        "event_headers_check: ('Order', '1', 'OrderPlaced', '{}', '{\"n\": 1}', now())",
        "event_headers_size_check: ('Order', '1', 'OrderPlaced', '{}', jsonb_build_object('h', repeat('x', 65536)), now())",
        "event_occurred_at_check: ('Order', '1', 'OrderPlaced', '{}', '{}', '-infinity')",
        // Several rules broken: the first by name, as PostgreSQL orders CHECK constraints.
        "event_aggregatetype_check: (' ', '1', ' ', '42', '[]', 'infinity')",
    })
    void aRefusedRowIsACheckViolationNamingItsRule(String ruleAndValues) throws Exception {
        String rule = ruleAndValues.substring(0, ruleAndValues.indexOf(':'));
        String values = ruleAndValues.substring(rule.length() + 2);
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.execute("INSERT INTO outbox.event"
                    + " (aggregatetype, aggregateid, type, payload, headers, occurred_at) VALUES " + values))
                    .isInstanceOfSatisfying(PSQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("23514");
                        assertThat(e.getServerErrorMessage().getConstraint()).isEqualTo(rule);
                        assertThat(e.getServerErrorMessage().getTable()).isEqualTo("event");
                        assertThat(e.getMessage()).contains("new row for relation \"event\" violates check constraint \""
                                + rule + "\"");
                    });
        }
    }

    @Test
    void aNullIsReportedByItsNotNullConstraintBeforeAnyRule() {
        assertThatThrownBy(() -> executeAs(TestDatabase.APP_ROLE, "INSERT INTO outbox.event"
                + " (aggregatetype, aggregateid, type, payload) VALUES (' ', '1', 'OrderPlaced', NULL)"))
                .isInstanceOfSatisfying(PSQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("23502"));
    }

    @Test
    void rulesApplyToContentWrittenByAnUpdateAndToReQueuedRowsButNotToMarking() throws Exception {
        db.execute("TRUNCATE outbox.event; INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " VALUES ('Order', '1', 'OrderPlaced', '{}')");
        // The owner rewriting content of a delivered row: V1's payload rule still holds.
        db.execute("UPDATE outbox.event SET published_at = now()");
        assertThatThrownBy(() -> db.execute("UPDATE outbox.event SET payload = '42'"))
                .hasStackTraceContaining("event_payload_check");
        // Of an undelivered one: V4's too.
        db.execute("UPDATE outbox.event SET published_at = NULL");
        assertThatThrownBy(() -> db.execute("UPDATE outbox.event SET type = ' '"))
                .hasStackTraceContaining("event_type_check");
        // Marking and recording failures do not evaluate the rules (a row the rules now refuse,
        // written with the trigger disabled as a stand-in for a row stored before them, is marked).
        db.execute("ALTER TABLE outbox.event DISABLE TRIGGER USER; UPDATE outbox.event SET type = ' ';"
                + " ALTER TABLE outbox.event ENABLE TRIGGER USER");
        try (Connection c = db.connectAs(TestDatabase.RELAY_ROLE); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE outbox.event SET attempts = 1, last_error = 'x', next_attempt_at = now()"))
                    .isEqualTo(1);
            assertThat(s.executeUpdate("UPDATE outbox.event SET published_at = now()")).isEqualTo(1);
            assertThatThrownBy(() -> s.executeUpdate("UPDATE outbox.event SET published_at = NULL, attempts = 0,"
                    + " last_error = NULL, next_attempt_at = NULL"))
                    .hasMessageContaining("event_type_check");
        }
    }

    @Test
    void sqlUuidV7DefaultIsVersion7AndTimeOrdered() {
        db.execute("TRUNCATE outbox.event; INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " SELECT 'Order', g::text, 'OrderPlaced', '{}' FROM generate_series(1, 50) g");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE substr(id::text, 15, 1) <> '7'")).isZero();
        long now = System.currentTimeMillis();
        UUID id = UUID.fromString(db.queryString("SELECT outbox.uuid_v7()::text"));
        assertThat(UuidV7.unixMillis(id)).isBetween(now - 60_000, now + 60_000);
        // Ids made in later milliseconds sort after earlier ones, as PostgreSQL compares uuids.
        assertThat(db.queryLong("SELECT count(*) FROM (SELECT outbox.uuid_v7() AS a, pg_sleep(0.002),"
                + " outbox.uuid_v7() AS b) t WHERE a < b")).isEqualTo(1);
    }
}
