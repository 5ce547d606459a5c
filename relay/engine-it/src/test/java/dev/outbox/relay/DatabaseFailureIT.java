package dev.outbox.relay;

import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.relay.RelayState.Phase;
import dev.outbox.relay.testing.CapturedLogs;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.MutableClock;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A relay that cannot use its database logs the database's own reason (SQLState and message,
 * not the pool's "Connection is not available"), once per cause and then with growing gaps, backs
 * off its reconnects, and shows the reason as its state's last error (what {@code /ready} shows).
 * The test server trusts 127.0.0.1, so a wrong password cannot be provoked here; an unknown
 * database, an unknown host and a missing schema can. Every URL carries a password, which must
 * never appear.
 */
class DatabaseFailureIT {
    private static final String SECRET = "pw-marker-5b7e01";
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Pattern RETRY_IN = Pattern.compile(" retry_in_ms=(\\d+)");

    private CapturedLogs logs;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeEach
    void captureLogs() {
        logs = CapturedLogs.start();
    }

    @AfterEach
    void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        logs.close();
    }

    private static String serverUrl() {
        String url = System.getenv("OUTBOX_TEST_JDBC_URL");
        assertThat(url).as("OUTBOX_TEST_JDBC_URL, e.g. jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres")
                .isNotBlank();
        return url;
    }

    /** The test server's URL for another database, with a password parameter added. */
    private static String urlWithPassword(String database) {
        return serverUrl().replaceFirst("(jdbc:postgresql://[^/?]+/)[^?]*", "$1" + database)
                + (serverUrl().contains("?") ? "&" : "?") + "password=" + SECRET;
    }

    private static DataSource simple(String url) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        ds.setConnectTimeout(5);
        return ds;
    }

    private Relay start(Relay.Builder builder, String name, Duration backoffCap) {
        Relay relay = builder.config(RelayDatabase.fast().instanceName(name).backoffBase(Duration.ofMillis(10))
                .backoffCap(backoffCap).build()).build();
        resources.add(relay);
        return relay.start();
    }

    private List<String> lines(String instance) {
        return logs.text().lines().filter(l -> l.contains("instance=" + instance + " ")
                || l.endsWith("instance=" + instance)).toList();
    }

    private List<String> lines(String instance, String level, String text) {
        return lines(instance).stream().filter(l -> l.contains(" " + level + " ") && l.contains(text)).toList();
    }

    /** The database failures logged for this instance (WARN and DEBUG): one per reconnect attempt. */
    private List<String> failures(String instance) {
        return lines(instance).stream().filter(l -> l.contains(", reconnecting ")).toList();
    }

    private void awaitFailures(String instance, int atLeast) {
        await(atLeast + " reconnect attempts of " + instance, DEADLINE, () -> failures(instance).size() >= atLeast);
    }

    private void assertNoSecret(Relay relay) {
        assertThat(logs.text()).doesNotContain(SECRET);
        assertThat(String.valueOf(relay.stats().state().lastError())).doesNotContain(SECRET);
    }

    @Test
    void unknownDatabaseBehindThePoolIsLoggedOnceWithItsSqlStateAndReason() {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(urlWithPassword("outbox_no_such_db"));
        pool.setMaximumPoolSize(2);
        pool.setConnectionTimeout(250);
        pool.setInitializationFailTimeout(-1); // as the sidecar: start while the database is unusable
        HikariDataSource dataSource = new HikariDataSource(pool);
        resources.add(dataSource);
        Relay relay = start(Relay.builder(dataSource, new SinkTransport("unused", "x")), "fail-db",
                Duration.ofMillis(200));

        awaitFailures("fail-db", 4);

        List<String> warnings = lines("fail-db", "WARN", "sql_state=3D000");
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("database unavailable, reconnecting")
                .contains("error=FATAL: database \"outbox_no_such_db\" does not exist");
        assertThat(lines("fail-db", "DEBUG", "database still unavailable")).allSatisfy(l ->
                assertThat(l).contains("sql_state=3D000"));
        RelayState state = relay.stats().state();
        assertThat(state.phase()).isEqualTo(Phase.DATABASE_UNAVAILABLE);
        assertThat(state.lastError()).isEqualTo("SQLState 3D000: FATAL: database \"outbox_no_such_db\" does not exist");
        assertThat(state.describe()).contains("database unavailable since ", "last error: SQLState 3D000");
        assertNoSecret(relay);
    }

    @Test
    void unknownHostIsLoggedOnceWithTheResolverError() {
        String url = serverUrl().replaceFirst("jdbc:postgresql://[^/?]+/", "jdbc:postgresql://outbox-no-such-host.invalid:5432/")
                + (serverUrl().contains("?") ? "&" : "?") + "password=" + SECRET;
        Relay relay = start(Relay.builder(simple(url), new SinkTransport("unused", "x")), "fail-host",
                Duration.ofMillis(200));

        awaitFailures("fail-host", 4);

        List<String> warnings = lines("fail-host", "WARN", "UnknownHostException");
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("sql_state=08001")
                .contains("(UnknownHostException: outbox-no-such-host.invalid)");
        assertThat(lines("fail-host", "WARN", "")).hasSize(1);
        assertThat(relay.stats().state().lastError()).startsWith("SQLState 08001: ")
                .contains("UnknownHostException: outbox-no-such-host.invalid");
        assertNoSecret(relay);
    }

    @Test
    void badSslModeIsLoggedOnceWithTheDriversReason() {
        String url = urlWithPassword("postgres") + "&sslmode=bogus";
        Relay relay = start(Relay.builder(simple(url), new SinkTransport("unused", "x")), "fail-ssl",
                Duration.ofMillis(200));

        awaitFailures("fail-ssl", 4);

        List<String> warnings = lines("fail-ssl", "WARN", "");
        assertThat(warnings).singleElement().asString().contains("sql_state=").contains("sslmode").contains("bogus");
        assertThat(relay.stats().state().lastError()).startsWith("SQLState ").contains("sslmode");
        assertNoSecret(relay);
    }

    @Test
    void missingSchemaSaysToApplyTheMigrationsOnceBacksOffAndRecoversWhenTheyAreApplied() throws Exception {
        TestDatabase empty = TestDatabase.createEmpty();
        resources.add(empty);
        Events.createSink(empty);
        String url = empty.jdbcUrl() + (empty.jdbcUrl().contains("?") ? "&" : "?") + "password=" + SECRET;
        // No jitter: the n-th reconnect waits exactly half of min(cap, 100 ms * 2^(n-1)).
        Relay relay = start(Relay.builder(simple(url), new SinkTransport(empty.jdbcUrl(), "m")).random(() -> 0.0),
                "fail-schema", Duration.ofMillis(800));

        awaitFailures("fail-schema", 6);

        List<String> warnings = lines("fail-schema", "WARN", "database");
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("sql_state=3F000").contains("schema \"outbox\" does not exist")
                .contains("Apply the migrations in sql/ to this database (see sql/README.md)");
        // The reconnects back off to the cap instead of looping every 100 ms.
        List<Long> delays = failures("fail-schema").stream().map(l -> {
            Matcher m = RETRY_IN.matcher(l);
            assertThat(m.find()).as(l).isTrue();
            return Long.parseLong(m.group(1));
        }).toList();
        assertThat(delays.subList(0, 5)).containsExactly(50L, 100L, 200L, 400L, 400L);
        // The state table is missing too: said once, not per reconnect.
        assertThat(lines("fail-schema", "WARN", "relay state is not shown by relay status")).hasSize(1);
        assertThat(relay.stats().state().lastError()).startsWith("SQLState 3F000: ")
                .contains("Apply the migrations in sql/");
        assertNoSecret(relay);

        try (Connection c = empty.connect()) {
            TestDatabase.applyMigrations(c);
        }
        empty.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload) VALUES ('Order', '1', 'OrderPlaced', '{}')");

        Events.awaitAllPublished(empty, DEADLINE);
        await("the relay running again", DEADLINE, () -> relay.stats().state().phase() == Phase.RUNNING);
        assertThat(relay.stats().state().lastError()).isNull();
        assertThat(lines("fail-schema", "INFO", "database session restored")).hasSize(1);
    }

    @Test
    void databaseWithoutV7SaysToApplyTheMigrationsAndDeliversOnceItIsApplied() throws Exception {
        TestDatabase old = TestDatabase.createEmpty();
        resources.add(old);
        Events.createSink(old);
        Path sql = TestDatabase.sqlDirectory();
        try (Connection c = old.connect(); Statement s = c.createStatement()) {
            for (int v = 1; v <= 6; v++) { // an upgrade that stopped before V7
                int version = v;
                try (var files = Files.list(sql)) {
                    Path file = files.filter(f -> f.getFileName().toString().startsWith("V" + version + "__")).findFirst()
                            .orElseThrow();
                    s.execute(Files.readString(file));
                }
            }
        }
        old.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload) VALUES ('Order', '1', 'OrderPlaced', '{}')");
        Relay relay = start(Relay.builder(simple(old.jdbcUrl()), new SinkTransport(old.jdbcUrl(), "v6")).random(() -> 0.0),
                "fail-v6", Duration.ofMillis(400));

        awaitFailures("fail-v6", 3);
        assertThat(lines("fail-v6", "WARN", "database")).singleElement().asString().contains("sql_state=42883")
                .contains("outbox.event_history_prepare").contains("Apply the migrations in sql/");
        assertThat(old.queryLong("SELECT count(*) FROM outbox.event")).as("nothing sent or marked meanwhile").isEqualTo(1);

        try (Connection c = old.connect()) {
            TestDatabase.applyMigrations(c); // V1-V6 again (harmless), then V7
        }
        Events.awaitAllPublished(old, DEADLINE);
        assertThat(old.queryLong("SELECT count(*) FROM outbox.event_history")).isEqualTo(1);
        await("the relay running again", DEADLINE, () -> relay.stats().state().phase() == Phase.RUNNING);
    }

    @Test
    void persistingFailureIsLoggedAgainOnlyAfterGrowingIntervals() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        Relay relay = start(Relay.builder(simple(urlWithPassword("outbox_no_such_db")), new SinkTransport("unused", "x"))
                .clock(clock), "fail-repeat", Duration.ofMillis(100));
        awaitFailures("fail-repeat", 3);
        assertThat(lines("fail-repeat", "WARN", "sql_state=3D000")).hasSize(1);

        clock.advance(Duration.ofSeconds(31)); // past the first repeat (30 s)
        awaitMoreFailures("fail-repeat");
        assertThat(lines("fail-repeat", "WARN", "sql_state=3D000")).hasSize(2);

        clock.advance(Duration.ofSeconds(31)); // the next repeat is 60 s after the last
        awaitMoreFailures("fail-repeat");
        assertThat(lines("fail-repeat", "WARN", "sql_state=3D000")).hasSize(2);

        clock.advance(Duration.ofSeconds(30));
        awaitMoreFailures("fail-repeat");
        List<String> warnings = lines("fail-repeat", "WARN", "sql_state=3D000");
        assertThat(warnings).hasSize(3);
        assertThat(warnings.get(2)).contains("database still unavailable").contains("since=2026-01-01T00:00:00Z");
        assertNoSecret(relay);
    }

    private void awaitMoreFailures(String instance) {
        int before = failures(instance).size();
        await("more reconnect attempts of " + instance, DEADLINE, () -> failures(instance).size() >= before + 2);
    }

    @Test
    void relayWithoutTheStateTableKeepsDeliveringAndSaysOnceHowToFixIt() {
        TestDatabase db = TestDatabase.create();
        resources.add(db);
        Events.createSink(db);
        db.execute("DROP TABLE outbox.relay_instance");
        Relay relay = start(Relay.builder(Events.relayRoleDataSource(db), new SinkTransport(db.jdbcUrl(), "n")),
                "no-table", Duration.ofMillis(200));

        Events.insert(db, 50, 5, "OrderPlaced");

        Events.awaitAllPublished(db, DEADLINE);
        assertThat(relay.stats().state().phase()).isEqualTo(Phase.RUNNING);
        assertThat(lines("no-table", "WARN", "relay state is not shown by relay status")).singleElement().asString()
                .contains("apply sql/V5__relay_instance.sql").contains("sql_state=42P01");
        assertThat(lines("no-table", "WARN", "database")).isEmpty();
    }
}
