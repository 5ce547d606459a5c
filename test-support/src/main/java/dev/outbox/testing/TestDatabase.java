package dev.outbox.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A fresh PostgreSQL database for one test class, with exactly the migrations of {@code sql/}
 * applied; {@link #close()} drops it.
 *
 * <p>The server comes from {@code OUTBOX_TEST_JDBC_URL} (a superuser URL such as
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}) or, when that is not set and
 * Docker is available, from a Testcontainers PostgreSQL shared by the whole run. Without either
 * the tests fail: they never skip, so a green run always means the database was tested.
 */
public final class TestDatabase implements AutoCloseable {
    public static final String APP_ROLE = "outbox_app";
    public static final String RELAY_ROLE = "outbox_relay";
    private static final Pattern URL = Pattern.compile("(jdbc:postgresql://[^/?]+/)([^?]*)(\\?.*)?");
    private static final Pattern MIGRATION = Pattern.compile("V(\\d+)__.+\\.sql");

    private static String serverUrl;
    private static Boolean rolesExistedBefore;

    private final String name;
    private final String url;

    private TestDatabase(String name, String url) {
        this.name = name;
        this.url = url;
    }

    /** A new database with the migrations of {@code sql/} applied. */
    public static TestDatabase create() {
        TestDatabase db = createEmpty();
        try (Connection c = db.connect()) {
            applyMigrations(c);
        } catch (SQLException e) {
            db.close();
            throw new IllegalStateException("applying sql/ to " + db.name + " failed", e);
        }
        return db;
    }

    /** A new database without any migration. */
    public static synchronized TestDatabase createEmpty() {
        String server = serverUrl();
        String name = "outbox_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection admin = DriverManager.getConnection(server); Statement s = admin.createStatement()) {
            if (rolesExistedBefore == null) {
                try (var rs = s.executeQuery("SELECT count(*) FROM pg_roles WHERE rolname IN ('"
                        + APP_ROLE + "', '" + RELAY_ROLE + "')")) {
                    rs.next();
                    rolesExistedBefore = rs.getInt(1) > 0;
                }
            }
            s.execute("CREATE DATABASE " + name + " TEMPLATE template0");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database on " + redact(server), e);
        }
        return new TestDatabase(name, withDatabase(server, name));
    }

    /** Applies every {@code sql/V<n>__*.sql} file in version order, each in its own transaction. */
    public static void applyMigrations(Connection connection) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement s = connection.createStatement()) {
            for (Path file : migrationFiles()) {
                s.execute(Files.readString(file));
                connection.commit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /** The migration files in the order they are applied. */
    public static List<Path> migrationFiles() {
        try (Stream<Path> files = Files.list(sqlDirectory())) {
            List<Path> migrations = files
                    .filter(f -> MIGRATION.matcher(f.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(TestDatabase::version))
                    .toList();
            if (migrations.isEmpty()) {
                throw new IllegalStateException("no V<n>__*.sql migrations in " + sqlDirectory());
            }
            return migrations;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The project's {@code sql/} directory (Maven passes it; otherwise found above the working directory). */
    public static Path sqlDirectory() {
        String configured = System.getProperty("outbox.sql.dir");
        if (configured != null) {
            return Paths.get(configured);
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("sql/V1__outbox_event.sql"))) {
                return dir.resolve("sql");
            }
        }
        throw new IllegalStateException("cannot find sql/: set -Doutbox.sql.dir");
    }

    private static int version(Path file) {
        Matcher m = MIGRATION.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(file.toString());
        }
        return Integer.parseInt(m.group(1));
    }

    public String name() {
        return name;
    }

    /** JDBC URL of this database, connecting as the superuser of the server URL. */
    public String jdbcUrl() {
        return url;
    }

    /** A new connection as the superuser. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(url);
    }

    /** A new connection that acts with only the privileges of {@code role} ({@code SET ROLE}). */
    public Connection connectAs(String role) throws SQLException {
        Connection c = connect();
        try (Statement s = c.createStatement()) {
            s.execute("SET ROLE " + role);
        }
        return c;
    }

    /** Runs SQL as the superuser, in auto-commit mode. */
    public void execute(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Runs a query returning one number, as the superuser. */
    public long queryLong(String sql) {
        return queryOne(sql, rs -> rs.getLong(1));
    }

    /** Runs a query returning one text value, as the superuser. */
    public String queryString(String sql) {
        return queryOne(sql, rs -> rs.getString(1));
    }

    @FunctionalInterface
    private interface Column<T> {
        T read(java.sql.ResultSet row) throws SQLException;
    }

    private <T> T queryOne(String sql, Column<T> column) {
        try (Connection c = connect(); Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row: " + sql);
            }
            return column.read(rs);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /**
     * Drops the database and, if this run created the outbox roles and no other database still
     * uses them, the roles too: the server is left as it was found.
     */
    @Override
    public synchronized void close() {
        try (Connection admin = DriverManager.getConnection(serverUrl()); Statement s = admin.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            if (Boolean.FALSE.equals(rolesExistedBefore)) {
                try {
                    s.execute("DROP ROLE IF EXISTS " + APP_ROLE + ", " + RELAY_ROLE);
                } catch (SQLException stillUsed) {
                    // another test database of this run still holds grants to them; it drops them
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test database " + name, e);
        }
    }

    private static synchronized String serverUrl() {
        if (serverUrl == null) {
            serverUrl = resolveServer();
        }
        return serverUrl;
    }

    private static String resolveServer() {
        String configured = System.getenv("OUTBOX_TEST_JDBC_URL");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        if (DockerClientFactory.instance().isDockerAvailable()) {
            PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
            container.start(); // stopped by Testcontainers' reaper when the JVM exits
            return container.getJdbcUrl() + (container.getJdbcUrl().contains("?") ? "&" : "?")
                    + "user=" + container.getUsername() + "&password=" + container.getPassword();
        }
        throw new IllegalStateException("No PostgreSQL for the tests. Set OUTBOX_TEST_JDBC_URL to a superuser URL,"
                + " e.g. OUTBOX_TEST_JDBC_URL='jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres'"
                + " (start the server with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start),"
                + " or run Docker so that Testcontainers can start one."
                + ("true".equalsIgnoreCase(System.getenv("CI")) ? " CI=true: a missing service fails the run." : ""));
    }

    static String withDatabase(String serverUrl, String database) {
        Matcher m = URL.matcher(serverUrl);
        if (!m.matches()) {
            throw new IllegalStateException("OUTBOX_TEST_JDBC_URL must look like jdbc:postgresql://host:port/db?user=…"
                    + " (was " + redact(serverUrl) + ")");
        }
        return m.group(1) + database + (m.group(3) == null ? "" : m.group(3));
    }

    /** The URL without its query, which may hold a password. */
    static String redact(String url) {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query) + "?…";
    }
}
