package dev.outbox.relay;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.RelayProcess;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Crashes at any instant cause duplicates, never loss, and never break per-key order. */
class CrashIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int BATCH = 100;
    /**
     * What one crash may leave unmarked: the relay's pipeline holds a batch the transport
     * delivered whose mark is pending, and the batch in flight.
     */
    private static final int IN_FLIGHT = 2 * BATCH;
    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;

    @BeforeEach
    void database() {
        db = fixture.db();
    }

    @Test
    void killMinus9InTheMiddleOfABatchThreeTimesLosesNothing() throws Exception {
        Events.insert(db, 4_000, 50, "OrderPlaced");
        for (int kill = 1; kill <= 3; kill++) {
            long before = db.queryLong("SELECT count(*) FROM sink");
            Process relay = RelayProcess.start(db.jdbcUrl(), "victim-" + kill, BATCH, 1);
            try {
                // Delivered but not yet marked published: a batch is in flight.
                await("relay " + kill + " is in the middle of a batch", WAIT, () ->
                        db.queryLong("SELECT count(*) FROM sink") >= before + 300
                        && db.queryLong("SELECT count(*) FROM sink")
                           > db.queryLong("SELECT count(*) FROM outbox.event_history"));
            } finally {
                relay.destroyForcibly(); // SIGKILL: no shutdown hook, a batch is in flight
                assertThat(relay.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(relay.exitValue()).isEqualTo(137);
        }
        Process survivor = RelayProcess.start(db.jdbcUrl(), "survivor", BATCH, 0);
        try {
            awaitAllPublished(db, WAIT);
        } finally {
            survivor.destroy();
            survivor.waitFor(30, TimeUnit.SECONDS);
        }

        Events.Received received = Events.received(db);
        assertThat(received.distinct()).as("no event lost").isEqualTo(4_000);
        assertThat(received.keysOutOfOrder()).isEmpty();
        System.out.printf("kill -9 x3: %d events, %d duplicates%n", received.distinct(), received.duplicates());
        assertThat(received.duplicates()).as("duplicates bounded by what was in flight")
                .isPositive().isLessThanOrEqualTo(3 * IN_FLIGHT);
    }

    @Test
    void theSlotsOfAKilledInstanceAreTakenOverWithinSeconds() throws Exception {
        Events.insert(db, 3_000, 60, "OrderPlaced");
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "survivor").slowPerEvent(Duration.ofMillis(1));
        Process victim = RelayProcess.start(db.jdbcUrl(), "victim", BATCH, 1);
        try (Relay survivor = Relay.builder(Events.relayRoleDataSource(db), sink).config(fastConfig()).build().start()) {
            await("both instances own slots", WAIT, () -> db.queryLong("SELECT count(DISTINCT pid) FROM pg_locks"
                    + " WHERE locktype = 'advisory' AND objsubid = 2 AND database = (SELECT oid FROM pg_database"
                    + " WHERE datname = current_database())") == 2 && survivor.stats().ownedSlots().size() == 32);
            victim.destroyForcibly();
            assertThat(victim.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long killed = System.nanoTime();
            await("the survivor owns all 64 slots", Duration.ofSeconds(10),
                    () -> survivor.stats().ownedSlots().size() == 64);
            Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
            System.out.printf("slots taken over %d ms after kill -9%n", takeover.toMillis());
            awaitAllPublished(db, WAIT);
        } finally {
            victim.destroyForcibly();
        }
        Events.Received received = Events.received(db);
        assertThat(received.distinct()).isEqualTo(3_000);
        assertThat(received.keysOutOfOrder()).isEmpty();
        assertThat(received.duplicates()).isLessThanOrEqualTo(IN_FLIGHT);
    }

    @Test
    void terminatedSessionsReconnectAndContinueWithoutLoss() {
        Events.insert(db, 3_000, 50, "OrderPlaced");
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "r1").slow(Duration.ofMillis(10));
        try (Relay relay = Relay.builder(Events.relayRoleDataSource(db), sink).config(fastConfig()).build().start()) {
            for (int i = 1; i <= 3; i++) {
                long target = i * 500L;
                await(target + " delivered", WAIT, () -> db.queryLong("SELECT count(*) FROM sink") >= target);
                assertThat(db.queryLong("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND application_name LIKE 'outbox-relay:%'")).isEqualTo(1);
                await("reconnected", WAIT, () -> relay.stats().ready());
            }
            awaitAllPublished(db, WAIT);
        }
        Events.Received received = Events.received(db);
        assertThat(received.distinct()).isEqualTo(3_000);
        assertThat(received.keysOutOfOrder()).isEmpty();
        assertThat(received.duplicates()).isLessThanOrEqualTo(3 * IN_FLIGHT);
    }

    @Test
    void databaseRestartIsSurvivedWithoutLoss() throws Exception {
        Events.insert(db, 2_000, 50, "OrderPlaced");
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "r1").slow(Duration.ofMillis(10));
        try (Relay relay = Relay.builder(Events.relayRoleDataSource(db), sink).config(fastConfig()).build().start()) {
            await("some delivered", WAIT, () -> db.queryLong("SELECT count(*) FROM sink") >= 500);
            restartPostgres();
            await("reconnected after the restart", WAIT, () -> relay.stats().ready());
            awaitAllPublished(db, WAIT);
        }
        Events.Received received = Events.received(db);
        assertThat(received.distinct()).isEqualTo(2_000);
        assertThat(received.keysOutOfOrder()).isEmpty();
        assertThat(received.duplicates()).isLessThanOrEqualTo(IN_FLIGHT);
    }

    private static RelayConfig fastConfig() {
        return RelayConfig.builder().batchSize(BATCH).minPollInterval(Duration.ofMillis(5))
                .maxPollInterval(Duration.ofMillis(50)).rebalanceInterval(Duration.ofMillis(100))
                .backoffBase(Duration.ofMillis(50)).backoffCap(Duration.ofMillis(500)).build();
    }

    /**
     * Restarts the server with {@code OUTBOX_TEST_PG_RESTART} (a shell command), or with
     * pg_ctlcluster when the test server is this machine's cluster.
     */
    private static void restartPostgres() throws IOException, InterruptedException {
        String command = System.getenv("OUTBOX_TEST_PG_RESTART");
        if (command == null || command.isBlank()) {
            String url = System.getenv("OUTBOX_TEST_JDBC_URL");
            String host = url == null ? "" : URI.create(url.substring("jdbc:".length())).getHost();
            Path clusters = Path.of("/etc/postgresql");
            if (!("127.0.0.1".equals(host) || "localhost".equals(host)) || !Files.isDirectory(clusters)) {
                throw new IllegalStateException("cannot restart the test database: set OUTBOX_TEST_PG_RESTART to a"
                        + " shell command that restarts the server of OUTBOX_TEST_JDBC_URL");
            }
            try (var versions = Files.list(clusters)) {
                String version = versions.map(p -> p.getFileName().toString()).sorted().reduce((a, b) -> b).orElseThrow();
                command = "pg_ctlcluster --skip-systemctl-redirect " + version + " main restart";
            }
        }
        Process restart = new ProcessBuilder("sh", "-c", command).inheritIO().start();
        assertThat(restart.waitFor(120, TimeUnit.SECONDS)).as("restart finished").isTrue();
        assertThat(restart.exitValue()).as("restart exit code of: " + command).isZero();
    }
}
