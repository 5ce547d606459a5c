package dev.outbox.relay.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operator commands of relay.jar, run in-process against the real PostgreSQL. */
class OperatorCommandsIT {
    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;

    @BeforeEach
    void database() {
        db = fixture.db();
    }

    private record Run(int exitCode, String out, String err) {
    }

    private Run relay(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(args, Map.of("OUTBOX_JDBC_URL", db.jdbcUrl() + "&options=-c%20role%3Doutbox_relay"),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private String deadEventId() {
        return db.queryString("SELECT id::text FROM outbox.event WHERE dead_at IS NOT NULL");
    }

    private void insertDeadEventWithFollowers() {
        Events.insert(db, 3, 1, "OrderPlaced"); // key k0, three events
        db.execute("UPDATE outbox.event SET attempts = 3, dead_at = now(), last_error = 'non-retryable: rejected'"
                + " WHERE seq = (SELECT min(seq) FROM outbox.event)");
    }

    @Test
    void statusShowsBacklogAndDeadEventsAsTableAndJson() {
        Events.insert(db, 7, 3, "OrderPlaced");
        db.execute("UPDATE outbox.event SET dead_at = now(), attempts = 1 WHERE seq = (SELECT min(seq) FROM outbox.event)");
        Run text = relay("status");
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).containsIgnoringCase("backlog").contains("6").containsIgnoringCase("dead");
        Run json = relay("status", "--json");
        assertThat(json.exitCode()).isZero();
        assertThat(json.out()).contains("\"backlog\":6").contains("\"dead\":1");
    }

    @Test
    void statusCheckFailsWithExitCode4NamingEachFailedCheck() {
        Events.insert(db, 3, 3, "OrderPlaced");
        db.execute("UPDATE outbox.event SET occurred_at = now() - interval '10 minutes'");
        db.execute("UPDATE outbox.event SET dead_at = now(), attempts = 1 WHERE seq = (SELECT min(seq) FROM outbox.event)");

        Run check = relay("status", "--check", "--max-age", "5m");

        assertThat(check.exitCode()).as(check.err()).isEqualTo(Main.EXIT_CHECK_FAILED);
        assertThat(check.out()).startsWith("FAILED: 3 check(s)").contains("1 dead event(s)")
                .contains("the oldest undelivered event is 10m old, more than --max-age 5m")
                .contains("no relay instance is live");
        Run json = relay("status", "--check", "--json");
        assertThat(json.exitCode()).isEqualTo(Main.EXIT_CHECK_FAILED);
        assertThat(json.out()).contains("\"ok\":false").contains("\"dead\":1");
        assertThat(relay("status", "--check", "--max-age", "1h").out()).startsWith("FAILED: 2 check(s)");
    }

    @Test
    void statusCheckPassesWhileARelayDeliversEverything() {
        Events.insert(db, 5, 2, "OrderPlaced");
        fixture.start(fixture.sink("r1"), RelayDatabase.fast().build());
        Events.awaitAllPublished(db, Duration.ofSeconds(30));

        Run check = relay("status", "--check");

        assertThat(check.exitCode()).as(check.out()).isEqualTo(Main.EXIT_OK);
        assertThat(check.out()).startsWith("OK: backlog 0").contains("1 relay instance(s) live");
    }

    @Test
    void deadListRetryAndDiscard() {
        insertDeadEventWithFollowers();
        String id = deadEventId();
        Run list = relay("dead", "list");
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).contains(id).contains("rejected");

        Run retry = relay("dead", "retry", id);
        assertThat(retry.exitCode()).as(retry.err()).isZero();
        assertThat(retry.out()).contains("re-queued 1");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL")).isZero();

        Run notDead = relay("dead", "discard", id);
        assertThat(notDead.exitCode()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(notDead.err()).startsWith("error:").contains(id).contains("not dead");

        db.execute("UPDATE outbox.event SET dead_at = now() WHERE id = '" + id + "'");
        Run discard = relay("dead", "discard", id);
        assertThat(discard.exitCode()).as(discard.err()).isZero();
        assertThat(discard.out()).contains("discarded " + id).contains("2 later event(s)");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(2);
    }

    @Test
    void deadRetryAllAndUsageErrors() {
        insertDeadEventWithFollowers();
        assertThat(relay("dead", "retry", "--all").out()).contains("re-queued 1");
        assertThat(relay("dead", "retry").exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(relay("dead", "retry", "not-a-uuid").exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(relay("dead").exitCode()).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void replayReSendsExactlyTheSelectedEventsWhileARelayRuns() {
        Events.insert(db, 40, 4, "OrderPlaced");
        Events.insert(db, 10, 4, "OrderCancelled");
        SinkTransport sink = new SinkTransport(db.jdbcUrl(), "r1");
        Relay relay = Relay.builder(Events.relayRoleDataSource(db), sink).config(RelayConfig.builder()
                .minPollInterval(Duration.ofMillis(5)).maxPollInterval(Duration.ofMillis(50)).build()).build().start();
        try {
            Events.awaitAllPublished(db, Duration.ofSeconds(30));
            Run replay = relay("replay", "--from", "2000-01-01", "--to", "2100-01-01T00:00:00Z", "--type", "OrderCancelled",
                    "--timeout", "30s");
            assertThat(replay.exitCode()).as(replay.err()).isZero();
            assertThat(replay.out()).contains("re-queuing 10 event(s)").contains("replayed 10 event(s)");
        } finally {
            relay.close();
        }
        assertThat(db.queryLong("SELECT count(*) FROM sink WHERE type = 'OrderCancelled'")).isEqualTo(20);
        assertThat(db.queryLong("SELECT count(*) FROM sink WHERE type = 'OrderPlaced'")).isEqualTo(40);
    }

    @Test
    void replayWithoutARunningRelayTimesOutWithAClearMessage() {
        Events.insert(db, 5, 1, "OrderPlaced");
        db.execute("UPDATE outbox.event SET published_at = now()");
        Run replay = relay("replay", "--from", "2000-01-01", "--to", "2100-01-01", "--timeout", "300ms");
        assertThat(replay.exitCode()).isEqualTo(Main.EXIT_FAILURE);
        assertThat(replay.err()).contains("5 replayed event(s) not delivered").contains("relay status");
        assertThat(relay("replay", "--from", "yesterday", "--to", "2100-01-01").exitCode()).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void purgeDeletesOnlyOldPublishedEvents() {
        Events.insert(db, 10, 2, "OrderPlaced");
        db.execute("UPDATE outbox.event SET published_at = now() - interval '10 days' WHERE seq % 2 = 0");
        Run purge = relay("purge", "--older-than", "7d");
        assertThat(purge.exitCode()).as(purge.err()).isZero();
        assertThat(purge.out()).contains("purged 5");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(5);
    }

    @Test
    void invalidConfigurationExitsWithCodeThree() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(new String[] {"status"}, Map.of("OUTBOX_BATCH_SIZE", "0"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(Main.EXIT_CONFIGURATION);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("configuration error: OUTBOX_JDBC_URL is required")
                .contains("OUTBOX_BATCH_SIZE");
    }
}
