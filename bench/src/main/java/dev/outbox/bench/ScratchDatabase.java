package dev.outbox.bench;

import dev.outbox.relay.spi.OutboxMessage;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A database of its own for one scenario, with exactly the migrations of {@code sql/} applied in
 * version order (as the tests apply them); {@link #close()} drops it, and the outbox roles too when
 * this run created them and no other database uses them. The migrations name the schema
 * {@code outbox}, so a scenario gets a database, not a schema.
 */
public final class ScratchDatabase implements AutoCloseable {
    private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/?]+/)([^?]*)(\\?.*)?");
    private static final Pattern MIGRATION = Pattern.compile("V(\\d+)__.+\\.sql");
    private static final String APP_ROLE = "outbox_app";
    private static final String RELAY_ROLE = "outbox_relay";

    private final String serverUrl;
    private final String name;
    private final String url;
    private final boolean rolesExistedBefore;
    private Cleanups.Registration drop;

    private ScratchDatabase(String serverUrl, String name, String url, boolean rolesExistedBefore) {
        this.serverUrl = serverUrl;
        this.name = name;
        this.url = url;
        this.rolesExistedBefore = rolesExistedBefore;
    }

    /**
     * @param serverUrl a superuser's JDBC URL of any database of the server
     * @param label part of the database's name: lower-case letters and digits
     * @param sqlDirectory the project's {@code sql/}
     * @param cleanups where the drop is registered, so that an interrupted run drops it too
     */
    public static ScratchDatabase create(String serverUrl, String label, Path sqlDirectory, Cleanups cleanups)
            throws SQLException {
        String name = "outbox_bench_" + label + "_" + UUID.randomUUID().toString().substring(0, 8);
        boolean rolesExisted;
        try (Connection admin = DriverManager.getConnection(serverUrl); Statement s = admin.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT count(*) FROM pg_roles WHERE rolname IN ('" + APP_ROLE + "', '"
                    + RELAY_ROLE + "')")) {
                r.next();
                rolesExisted = r.getInt(1) > 0;
            }
            s.execute("CREATE DATABASE " + name + " TEMPLATE template0");
        }
        ScratchDatabase db = new ScratchDatabase(serverUrl, name, withDatabase(serverUrl, name), rolesExisted);
        db.drop = cleanups.register("database " + name, db::dropNow);
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (Path file : migrations(sqlDirectory)) {
                    s.execute(Files.readString(file));
                    c.commit();
                }
            }
        } catch (SQLException | IOException | RuntimeException e) {
            db.close();
            throw new IllegalStateException("applying " + sqlDirectory + " to " + name + " failed: " + e.getMessage(), e);
        }
        return db;
    }

    /** {@code sql/V<n>__*.sql} in version order. */
    public static List<Path> migrations(Path sqlDirectory) throws IOException {
        try (Stream<Path> files = Files.list(sqlDirectory)) {
            List<Path> migrations = files.filter(f -> MIGRATION.matcher(f.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(ScratchDatabase::version)).toList();
            if (migrations.isEmpty()) {
                throw new IllegalStateException("no V<n>__*.sql migrations in " + sqlDirectory);
            }
            return migrations;
        }
    }

    private static int version(Path file) {
        Matcher m = MIGRATION.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(file.toString());
        }
        return Integer.parseInt(m.group(1));
    }

    private static String withDatabase(String serverUrl, String database) {
        Matcher m = URL.matcher(serverUrl);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a jdbc:postgresql://host[:port]/database[?…] URL: " + serverUrl);
        }
        return m.group(1) + database + (m.group(3) == null ? "" : m.group(3));
    }

    /** {@code host:port} of a JDBC URL, to check that the server answers. */
    public static String hostPort(String jdbcUrl) {
        Matcher m = URL.matcher(jdbcUrl);
        String authority = m.matches() ? m.group(1).substring("jdbc:postgresql://".length()).replace("/", "") : "127.0.0.1";
        return authority.contains(":") ? authority : authority + ":5432";
    }

    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return url;
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url);
    }

    /** Connections as the superuser of the server URL. */
    public DataSource dataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        return ds;
    }

    /** Connections that act as the relay role only ({@code outbox_relay}), as in production. */
    public DataSource relayDataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        ds.setOptions("-c role=" + RELAY_ROLE);
        return ds;
    }

    public void execute(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    public long queryLong(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    public String queryString(String sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }

    /**
     * Empties the event table and the history and writes {@code spec}'s events, committed, then
     * vacuums and analyses the table: every run starts from the same fresh backlog. The history's
     * partitions for today and tomorrow exist, as a relay makes them.
     */
    public void fill(EventSpec spec) throws SQLException {
        execute("TRUNCATE outbox.event, outbox.event_history");
        execute("SELECT outbox.event_history_prepare((now() AT TIME ZONE 'UTC')::date, 2)");
        execute(spec.insertSql());
        execute("VACUUM ANALYZE outbox.event");
    }

    /** Events not yet published (nor dead). */
    public long undelivered() throws SQLException {
        return queryLong("SELECT count(*) FROM outbox.event WHERE published_at IS NULL AND dead_at IS NULL");
    }

    /**
     * The stored events as the relay hands them to a transport (first attempt), in write order:
     * what the hand-written publishers send.
     */
    public List<OutboxMessage> messages() throws SQLException {
        List<OutboxMessage> messages = new ArrayList<>();
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(
                "SELECT id, seq, aggregatetype, aggregateid, type, payload::text, headers::text, occurred_at"
                        + " FROM outbox.event ORDER BY seq")) {
            while (r.next()) {
                messages.add(new OutboxMessage(r.getObject(1, UUID.class), r.getLong(2), r.getString(3), r.getString(4),
                        r.getString(5), r.getString(6), headers(r.getString(7)),
                        r.getObject(8, OffsetDateTime.class).toInstant(), 1));
            }
        }
        return messages;
    }

    private static Map<String, String> headers(String json) {
        Map<String, String> headers = new LinkedHashMap<>();
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            JsonObject o = reader.readObject();
            for (Map.Entry<String, JsonValue> e : o.entrySet()) {
                headers.put(e.getKey(), ((JsonString) e.getValue()).getString());
            }
        }
        return headers;
    }

    /** Drops the database (ending its sessions) and the roles this run created, if nothing else uses them. */
    @Override
    public void close() {
        drop.run();
    }

    private void dropNow() {
        try (Connection admin = DriverManager.getConnection(serverUrl); Statement s = admin.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            if (!rolesExistedBefore) {
                try {
                    s.execute("DROP ROLE IF EXISTS " + APP_ROLE + ", " + RELAY_ROLE);
                } catch (SQLException stillUsed) {
                    // another database (a test running beside us) holds grants to them: theirs now
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop the scratch database " + name + ": " + e.getMessage(), e);
        }
    }
}
