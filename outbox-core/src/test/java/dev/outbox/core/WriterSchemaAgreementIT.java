package dev.outbox.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.core.internal.JsonCodec;
import dev.outbox.core.internal.StoredText;
import dev.outbox.testing.TestDatabase;
import jakarta.json.Json;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java writer and the plain-SQL contract accept and refuse the same inputs: each row of the
 * table goes through {@code OutboxEvent.builder(…).build()} + {@code Outbox.append} and through the
 * contract INSERT, both as {@code outbox_app}. A refusal is an {@link OutboxException} in Java and
 * a named CHECK (or, where PostgreSQL's own input functions refuse first, their SQLSTATE) in SQL.
 */
class WriterSchemaAgreementIT {
    private static final String ACCEPTED = null;
    private static final int MIB = 1 << 20;
    private static final String EMOJI = "\uD83D\uDE00"; // one code point, two UTF-16 chars
    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    /** One input, as the Java writer and as a plain-SQL writer would send it. */
    record Case(String name, Supplier<OutboxEvent> java, String sqlValues, String refusedBy) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case names(String name, String aggregateType, String aggregateId, String type, String refusedBy) {
        return new Case(name, () -> OutboxEvent.builder(aggregateType, aggregateId, type).payload("{}").build(),
                "(" + literal(aggregateType) + ", " + literal(aggregateId) + ", " + literal(type) + ", '{}', '{}', now())",
                refusedBy);
    }

    private static Case payload(String name, String json, String refusedBy) {
        return new Case(name, () -> OutboxEvent.builder("Order", "1", "OrderPlaced").payload(json).build(),
                "('Order', '1', 'OrderPlaced', " + literal(json) + ", '{}', now())", refusedBy);
    }

    private static Case occurredAt(String name, Instant java, String sql, String refusedBy) {
        return new Case(name, () -> OutboxEvent.builder("Order", "1", "OrderPlaced").payload("{}").occurredAt(java).build(),
                "('Order', '1', 'OrderPlaced', '{}', '{}', " + literal(sql) + ")", refusedBy);
    }

    /** A string literal PostgreSQL reads back as exactly {@code text} (chars above U+FFFF as U&amp; escapes). */
    private static String literal(String text) {
        StringBuilder out = new StringBuilder("U&'");
        text.codePoints().forEach(cp -> {
            if (cp == '\'') {
                out.append("''");
            } else if (cp == '\\') {
                out.append("\\\\");
            } else if (cp < 0x20 || cp > 0x7e) {
                out.append(String.format("\\+%06X", cp));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.append('\'').toString();
    }

    private static String nested(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    /** {"a": "…"} whose text as PostgreSQL prints it ({"a": "…"}, 9 bytes + the string) is {@code bytes} long. */
    private static String printedAs(int bytes) {
        return "{\"a\": \"" + "x".repeat(bytes - 9) + "\"}";
    }

    static Stream<Arguments> inputs() {
        String headers8k = Stream.of("h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8")
                .map(h -> "\"" + h + "\": \"" + "v".repeat(8192) + "\"")
                .reduce((a, b) -> a + ", " + b).map(s -> "{" + s + "}").orElseThrow();
        return Stream.of(
                names("the contract's names", "Order", "42", "OrderPlaced", ACCEPTED),
                names("aggregateid of a tab and a newline", "Order", "\t\n", "OrderPlaced", "event_aggregateid_check"),
                names("aggregatetype of an ideographic space", "\u3000", "42", "OrderPlaced", "event_aggregatetype_check"),
                names("type of form feed, vertical tab, CR", "Order", "42", "\f\u000B\r", "event_type_check"),
                names("aggregateid with control characters besides text", "Order", "a\u0001\u001b[31m", "OrderPlaced", ACCEPTED),
                names("aggregateid of a no-break space (not whitespace in Java)", "Order", "\u00a0", "OrderPlaced", ACCEPTED),
                names("aggregateid of 255 emoji (255 characters)", "Order", EMOJI.repeat(255), "OrderPlaced", ACCEPTED),
                names("aggregateid of 256 emoji", "Order", EMOJI.repeat(256), "OrderPlaced", "event_aggregateid_check"),
                occurredAt("occurred_at in year 1", Instant.parse("0001-01-01T00:00:00Z"), "0001-01-01 00:00:00+00", ACCEPTED),
                occurredAt("occurred_at at the end of year 9999", Instant.parse("9999-12-31T23:59:59.999999Z"),
                        "9999-12-31 23:59:59.999999+00", ACCEPTED),
                occurredAt("occurred_at in year 10000", Instant.parse("+10000-01-01T00:00:00Z"), "10000-01-01 00:00:00+00",
                        "event_occurred_at_check"),
                occurredAt("occurred_at BC", Instant.parse("-0001-06-01T00:00:00Z"), "0002-06-01 00:00:00+00 BC",
                        "event_occurred_at_check"),
                occurredAt("occurred_at at the end of time (Instant.MAX, infinity)", Instant.MAX, "infinity",
                        "event_occurred_at_check"),
                occurredAt("occurred_at at the start of time (Instant.MIN, -infinity)", Instant.MIN, "-infinity",
                        "event_occurred_at_check"),
                payload("payload with a surrogate pair", "{\"a\": \"\\ud83d\\ude00\"}", ACCEPTED),
                payload("payload with an escaped lone surrogate", "{\"a\": \"\\ud800\"}", "22P02"),
                new Case("payload with a raw lone surrogate",
                        () -> OutboxEvent.builder("Order", "1", "OrderPlaced")
                                .payload(Json.createObjectBuilder().add("a", "x\uD800y").build()).build(),
                        // the UTF-8-style bytes of U+D800 (ED A0 80), which are not UTF-8
                        "('Order', '1', 'OrderPlaced', convert_from('\\x" + HexFormat.of().formatHex(
                                "{\"a\": \"x".getBytes()) + "eda080" + HexFormat.of().formatHex("y\"}".getBytes())
                                + "'::bytea, 'UTF8')::jsonb, '{}', now())",
                        "22021"),
                payload("payload with a NUL escape", "{\"a\": \"\\u0000\"}", "22P05"),
                payload("payload nested 64 deep", nested(64), ACCEPTED),
                payload("payload nested 65 deep", nested(65), "event_payload_depth_check"),
                payload("objects nested 65 deep", "{\"a\": ".repeat(65) + "1" + "}".repeat(65), "event_payload_depth_check"),
                payload("payload nested 100000 deep", nested(100_000), "54001"), // stack depth limit exceeded
                payload("payload of exactly 1 MiB as printed", printedAs(MIB), ACCEPTED),
                payload("payload of 1 MiB + 1 byte as printed (1 MiB as sent)", printedAs(MIB + 1).replace(": ", ":"),
                        "event_payload_size_check"),
                payload("payload of control characters printed as \\u escapes, 1 MiB + 1",
                        "{\"a\": \"" + "\\u0001".repeat((MIB - 9) / 6) + "x".repeat((MIB - 9) % 6 + 1) + "\"}",
                        "event_payload_size_check"),
                payload("payload of one number printed with 131072 digits", "[1e131071]", ACCEPTED),
                payload("payload of numbers printed as 8 x 131072 digits", "[" + "1e131071, ".repeat(7) + "1e131071]",
                        "event_payload_size_check"),
                payload("number beyond numeric's 131072 integer digits", "[1e131072]", "22003"),
                payload("number with 16383 decimals", "[1e-16383]", ACCEPTED),
                payload("number with 16384 decimals", "[1.5e-16383]", "22003"),
                payload("numbers that PostgreSQL prints differently", "[1E+2, -0, -0.0, 1.50, 0.0000001, 1.0e-2, 12e1]", ACCEPTED),
                new Case("a big decimal from the builder", () -> OutboxEvent.builder("Order", "1", "OrderPlaced")
                        .payload(Json.createArrayBuilder().add(new BigDecimal("1E+131072")).build()).build(),
                        "('Order', '1', 'OrderPlaced', '[1E+131072]', '{}', now())", "22003"),
                new Case("headers of 8 values of 8192 characters (more than 64 KiB)", () -> {
                    OutboxEvent.Builder b = OutboxEvent.builder("Order", "1", "OrderPlaced").payload("{}");
                    for (int i = 1; i <= 8; i++) {
                        b.header("h" + i, "v".repeat(8192));
                    }
                    return b.build();
                }, "('Order', '1', 'OrderPlaced', '{}', '" + headers8k + "', now())", "event_headers_size_check"),
                new Case("headers of 7 values of 8192 characters", () -> {
                    OutboxEvent.Builder b = OutboxEvent.builder("Order", "1", "OrderPlaced").payload("{}");
                    for (int i = 1; i <= 7; i++) {
                        b.header("h" + i, "v".repeat(8192));
                    }
                    return b.build();
                }, "('Order', '1', 'OrderPlaced', '{}', '" + headers8k.substring(0, headers8k.lastIndexOf(", ")) + "}', now())",
                        ACCEPTED))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void javaWriterAndPlainSqlAgree(Case input) throws Exception {
        String java = javaOutcome(input);
        String sql = sqlOutcome(input);
        assertThat(java).as("Java writer: refused (OutboxException) or accepted").isEqualTo(
                input.refusedBy() == ACCEPTED ? "accepted" : "refused");
        assertThat(sql).as("plain SQL: accepted, or the CHECK / SQLSTATE that refused").isEqualTo(
                input.refusedBy() == ACCEPTED ? "accepted" : input.refusedBy());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{}", "[]", "[[], {}, [{}]]", "{\"a\": null, \"b\": true, \"c\": false}",
        "{\"é\": \"日本\", \"emoji\": \"\\ud83d\\ude00\", \"nbsp\": \"\\u00a0\"}",
        "[\"\\\"quoted\\\" \\\\ back\\/slash\", \"\\b\\f\\n\\r\\t\", \"\\u0001\\u001f\\u007f\\u2028\"]",
        "[0, -0, 1.50, -1.0e-2, 1e3, 12e-1, 1E+2, 0.0000001, 123456789012345678901234567890, 0e-5, -0.0]",
        "[1e131071, 1e-16383]",
        "{\"b\": 1, \"a\": 2, \"aa\": [1, 2, 3]}",
    })
    void javaComputesThePayloadSizeAsPostgresqlPrintsIt(String json) throws Exception {
        OutboxEvent event = OutboxEvent.builder("Order", "1", "OrderPlaced").payload(json)
                .header("h\t", "v\"\u0002é").build();
        try (Connection c = db.connect()) {
            Outbox.create().append(c, event);
        }
        assertThat(StoredText.printedSize("event.payload", event.payload())).isEqualTo(db.queryLong(
                "SELECT octet_length(payload::text) FROM outbox.event WHERE id = '" + event.id() + "'"));
        assertThat(StoredText.printedSize(event.headers())).isEqualTo(db.queryLong(
                "SELECT octet_length(headers::text) FROM outbox.event WHERE id = '" + event.id() + "'"));
    }

    /**
     * A payload given as text is stored as given, not re-written: PostgreSQL must accept every text
     * the writer accepts and read it as the same value as the compact text of the parsed tree (what
     * the writer stored before), printed with the size the writer computed.
     */
    @Test
    void storesPayloadTextAsGivenAndJsonbReadsTheSameValueAsItsCompactForm() throws Exception {
        List<String> texts = new ArrayList<>(List.of(
                "{ \"b\" : [ 1 , 2.50 , 1e3, -0, 1E+2, 0.0000001 ] ,\n \"a\" : \"\\u00e9\\n\\/\\ud83d\\ude00\" }",
                "[\"\\ud83d" + "\uDE00\"]", "[\"\\u0001\\u001f\\\"\\\\\"]", "{\"\\u0061\": {\"\": []}}"));
        JsonFuzz fuzz = new JsonFuzz(7);
        while (texts.size() < 400) {
            String json = fuzz.next();
            try {
                OutboxEvent.builder("Order", "1", "OrderPlaced").payload(json).build();
                texts.add(json);
            } catch (OutboxException refused) {
                // the refusals are compared with the tree path in PayloadTextTest
            }
        }
        db.execute("TRUNCATE outbox.event");
        Outbox outbox = Outbox.create();
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE)) {
            for (String json : texts) {
                outbox.append(c, OutboxEvent.builder("Order", "1", "OrderPlaced").payload(json).build());
            }
        }
        try (Connection c = db.connect();
                PreparedStatement check = c.prepareStatement("SELECT payload::text, octet_length(payload::text),"
                        + " CAST(? AS jsonb)::text, payload = CAST(? AS jsonb) FROM outbox.event WHERE id = ?")) {
            for (String json : texts) {
                OutboxEvent event = OutboxEvent.builder("Order", "1", "OrderPlaced").payload(json).build();
                String compact = JsonCodec.write(event.payload());
                outbox.append(c, event);
                check.setString(1, compact);
                check.setString(2, compact);
                check.setObject(3, event.id());
                try (ResultSet row = check.executeQuery()) {
                    assertThat(row.next()).isTrue();
                    assertThat(row.getString(1)).as("payload::text of %s", json).isEqualTo(row.getString(3));
                    assertThat(row.getBoolean(4)).as("same jsonb as the compact text of %s", json).isTrue();
                    assertThat(row.getLong(2)).as("printed size of %s", json)
                            .isEqualTo(JsonCodec.scanPayload("event.payload", json).printedSize());
                }
            }
        }
    }

    private static String javaOutcome(Case input) throws SQLException {
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE)) {
            c.setAutoCommit(false);
            try {
                Outbox.create().append(c, input.java().get());
                return "accepted";
            } catch (OutboxException e) {
                assertThat(e.getMessage()).as("names the field").containsPattern("event\\.\\w+");
                return "refused";
            } finally {
                c.rollback();
            }
        }
    }

    private static String sqlOutcome(Case input) throws SQLException {
        try (Connection c = db.connectAs(TestDatabase.APP_ROLE); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            try {
                s.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, headers, occurred_at)"
                        + " VALUES " + input.sqlValues());
                return "accepted";
            } catch (SQLException e) {
                if ("23514".equals(e.getSQLState())) { // check_violation: which one
                    return e.getMessage().replaceAll("(?s).*violates check constraint \"([a-z_]+)\".*", "$1");
                }
                return e.getSQLState();
            } finally {
                c.rollback();
            }
        }
    }
}
