package dev.outbox.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A PostgreSQL cluster of the suite's own (initdb + pg_ctl on its own port under the work
 * directory), so that restarting it never touches the machine's server. PostgreSQL refuses to
 * run as root, so its commands run as the {@code postgres} OS user (runuser).
 */
final class PrivatePostgres implements AutoCloseable {
    static final Path BIN = Path.of(System.getenv().getOrDefault("CHAOS_PG_BIN", "/usr/lib/postgresql/15/bin"));
    /** The relay logs in as this role, a member of outbox_relay: it gets only the relay's grants. */
    static final String RELAY_ROLE = "chaos_relay";
    private static final boolean AS_ROOT = "root".equals(System.getProperty("user.name"));
    private static final Pattern VERSION = Pattern.compile("V(\\d+)__.*\\.sql");

    private final Lab lab;
    final int port;
    private final Path data;

    private PrivatePostgres(Lab lab, int port, Path data) {
        this.lab = lab;
        this.port = port;
        this.data = data;
    }

    static PrivatePostgres start(Lab lab, int port) {
        Path dir = lab.work.resolve("pg");
        Path data = dir.resolve("data");
        try {
            Files.createDirectories(dir);
            if (AS_ROOT) {
                UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
                Files.setOwner(dir, users.lookupPrincipalByName("postgres"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir + " for the postgres user: " + e.getMessage(), e);
        }
        Lab.requireFree("PostgreSQL", port);
        PrivatePostgres pg = new PrivatePostgres(lab, port, data);
        pg.asPostgres(Duration.ofSeconds(120), BIN.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync");
        pg.pgCtl("start");
        return pg;
    }

    /**
     * fsync=off: the faults here are process crashes, after which the kernel still has every
     * write; it keeps the suite's disk load off the shared machine.
     */
    private void pgCtl(String action, String... more) {
        String options = "-p " + port + " -k " + data.getParent() + " -c listen_addresses=127.0.0.1 -c fsync=off"
                + " -c max_connections=200";
        String[] command = Stream.concat(Stream.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-w",
                "-t", "60", "-l", data.getParent().resolve("postgres.log").toString(), "-o", options),
                Stream.concat(Stream.of(more), Stream.of(action))).toArray(String[]::new);
        asPostgres(Duration.ofSeconds(90), command);
    }

    /** As root, commands run as the postgres OS user (PostgreSQL refuses root); otherwise as the current user. */
    private void asPostgres(Duration timeout, String... command) {
        String[] full = AS_ROOT
                ? Stream.concat(Stream.of("runuser", "-u", "postgres", "--"), Stream.of(command)).toArray(String[]::new)
                : command;
        Proc.run(lab, timeout, Map.of(), full);
    }

    String jdbcUrl(String database, String user) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user=" + user;
    }

    Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database, "postgres"));
    }

    /** A fresh database with exactly the migrations of sql/ applied, in version order. */
    void createDatabase(String database) throws SQLException, IOException {
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            s.execute("CREATE DATABASE " + database);
        }
        List<Path> migrations;
        try (Stream<Path> files = Files.list(lab.root.resolve("sql"))) {
            migrations = files.filter(f -> VERSION.matcher(f.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(PrivatePostgres::version)).toList();
        }
        try (Connection c = connect(database)) {
            c.setAutoCommit(false);
            for (Path migration : migrations) {
                try (Statement s = c.createStatement()) {
                    s.execute(Files.readString(migration));
                }
                c.commit();
            }
            try (Statement s = c.createStatement()) {
                s.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + RELAY_ROLE + "') THEN "
                        + "CREATE ROLE " + RELAY_ROLE + " LOGIN IN ROLE outbox_relay; END IF; END $$");
            }
            c.commit();
        }
    }

    private static int version(Path file) {
        Matcher m = VERSION.matcher(file.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
    }

    /** pg_terminate_backend of every session of the relay role in {@code database}; returns how many. */
    int terminateRelaySessions(String database) throws SQLException {
        try (Connection c = connect("postgres");
                PreparedStatement s = c.prepareStatement("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                        + "FROM pg_stat_activity WHERE datname = ? AND usename = ?")) {
            s.setString(1, database);
            s.setString(2, RELAY_ROLE);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * Advisory locks held per session name (application_name) in {@code database}, from pg_locks.
     * A relay's session is named {@code outbox-relay:<instance>} and holds one lock per slot it
     * owns plus one membership lock.
     */
    java.util.Map<String, Long> advisoryLocks(String database) throws SQLException {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        try (Connection c = connect("postgres");
                PreparedStatement s = c.prepareStatement("SELECT a.application_name, count(*) FROM pg_locks l "
                        + "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                        + "AND a.datname = ? GROUP BY 1")) {
            s.setString(1, database);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }

    /** An immediate restart: every backend dies without a checkpoint (crash recovery at start); returns when the server accepts connections again. */
    void restartImmediate() {
        pgCtl("restart", "-m", "immediate");
    }

    @Override
    public void close() {
        pgCtl("stop", "-m", "immediate");
    }

    @Override
    public String toString() {
        return "PostgreSQL on 127.0.0.1:" + port;
    }
}
