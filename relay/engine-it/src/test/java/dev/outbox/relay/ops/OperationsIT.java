package dev.outbox.relay.ops;

import static dev.outbox.testing.Await.await;
import static dev.outbox.relay.ops.OpsFixtures.insert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every operation runs as the outbox_relay role, against rows crafted in each state. */
class OperationsIT {
    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();
    private static TestDatabase db;
    private static DataSource relayRole;
    private static Operations ops;

    @BeforeAll
    static void operations() {
        db = FIXTURE.db();
        relayRole = FIXTURE.relayRole();
        ops = FIXTURE.operations();
    }

    @BeforeEach
    void emptyTables() {
        db.execute("TRUNCATE outbox.event, outbox.event_history; DROP TABLE IF EXISTS sink");
    }

    @Test
    void statusCountsBacklogOldestAgeRetryingDeadAndPublished() {
        insert(db, "Order", "1", "OrderPlaced", "now() - interval '1 hour'", "undelivered");
        insert(db, "Order", "2", "OrderPlaced", "now() - interval '5 minutes'", "undelivered");
        insert(db, "Order", "3", "OrderPlaced", "now()", "undelivered");
        insert(db, "Order", "4", "OrderPlaced", "now() - interval '2 hours'", "retrying");
        insert(db, "Order", "5", "OrderPlaced", "now()", "retrying");
        insert(db, "Order", "6", "OrderPlaced", "now() - interval '3 days'", "dead:now()");
        for (int i = 0; i < 3; i++) {
            insert(db, "Order", "p" + i, "OrderPlaced", "now() - interval '9 days'", "published:now()");
        }
        insert(db, "Order", "p3", "OrderPlaced", "now() - interval '9 days'", "marked-in-place:now()");

        StatusReport status = ops.status();

        assertThat(status.backlog()).isEqualTo(5);
        assertThat(status.retrying()).isEqualTo(2);
        assertThat(status.dead()).isEqualTo(1);
        assertThat(status.published()).as("in the history and marked in place").isEqualTo(4);
        // The oldest undelivered event is the retrying one (dead and published events are not backlog).
        assertThat(status.oldestUndeliveredAge()).hasValueSatisfying(age ->
                assertThat(age).isBetween(Duration.ofHours(2), Duration.ofHours(2).plusMinutes(1)));
        assertThat(status.instances()).isEmpty();
        assertThat(status.unownedSlots()).hasSize(64);
    }

    @Test
    void statusShowsLiveInstancesAndTheSlotsTheyOwnWhileTwoRelaysRun() {
        RelayConfig.Builder config = RelayConfig.builder().rebalanceInterval(Duration.ofMillis(50))
                .maxPollInterval(Duration.ofMillis(50));
        try (Relay a = Relay.builder(relayRole, new SinkTransport(db.jdbcUrl(), "a"))
                     .config(config.instanceName("ops-a").build()).build().start();
             Relay b = Relay.builder(relayRole, new SinkTransport(db.jdbcUrl(), "b"))
                     .config(config.instanceName("ops-b").build()).build().start()) {
            await("both instances own 32 slots each", Duration.ofSeconds(20), () -> {
                StatusReport s = ops.status();
                return s.instances().size() == 2 && s.instances().stream().allMatch(i -> i.slots().size() == 32);
            });

            StatusReport status = ops.status();
            assertThat(status.instances()).extracting(StatusReport.RelayInstance::name).containsExactly("ops-a", "ops-b");
            assertThat(status.instances()).extracting(StatusReport.RelayInstance::pid).doesNotHaveDuplicates();
            Set<Integer> covered = new HashSet<>();
            status.instances().forEach(i -> covered.addAll(i.slots()));
            assertThat(covered).containsExactlyInAnyOrderElementsOf(IntStream.range(0, 64).boxed().toList());
            assertThat(status.unownedSlots()).isEmpty();
            assertThat(status.ownedSlotCount()).isEqualTo(64);
            // What status reads from pg_locks is what each relay believes it owns.
            assertThat(status.instances().get(0).slots()).containsExactlyInAnyOrderElementsOf(a.stats().ownedSlots());
            assertThat(status.instances().get(1).slots()).containsExactlyInAnyOrderElementsOf(b.stats().ownedSlots());
            assertThat(status.renderJson()).contains("\"name\":\"ops-a\"");

            // The relays' sessions belong to another login role: only a role allowed to see them
            // (here the superuser) learns when they connected.
            StatusReport asSuperuser = Operations.create(OpsFixtures.superuserDataSource(db), "outbox").status();
            assertThat(asSuperuser.instances()).allSatisfy(i -> assertThat(i.connectedSince())
                    .isBetween(Instant.now().minusSeconds(120), Instant.now().plusSeconds(5)));
        }
        await("the stopped instances are gone from status", Duration.ofSeconds(10),
                () -> ops.status().instances().isEmpty());
        assertThat(ops.status().unownedSlots()).hasSize(64);
    }

    @Test
    void deadListShowsDeadEventsOldestFirstWithTheEventsTheyHoldBack() {
        UUID later = insert(db, "Order", "1", "OrderShipped", "now()", "dead:now() - interval '1 minute'");
        UUID older = insert(db, "Order", "2", "OrderPlaced", "now()", "dead:now() - interval '1 hour'");
        for (int i = 0; i < 3; i++) {
            insert(db, "Order", "2", "OrderChanged", "now()", "undelivered"); // held back by `older`
        }
        insert(db, "Order", "2", "OrderChanged", "now()", "retrying"); // held back too: undelivered
        insert(db, "Order", "3", "OrderPlaced", "now()", "undelivered"); // another key

        List<DeadEvent> dead = ops.deadEvents(10);

        assertThat(dead).extracting(DeadEvent::id).containsExactly(older, later);
        DeadEvent first = dead.get(0);
        assertThat(first.aggregateType()).isEqualTo("Order");
        assertThat(first.aggregateId()).isEqualTo("2");
        assertThat(first.type()).isEqualTo("OrderPlaced");
        assertThat(first.attempts()).isEqualTo(3);
        assertThat(first.lastError()).isEqualTo("non-retryable: rejected");
        assertThat(first.deadAt()).isBefore(dead.get(1).deadAt());
        assertThat(first.heldBack()).isEqualTo(4);
        assertThat(dead.get(1).heldBack()).isZero();
        assertThat(ops.deadEvents(1)).extracting(DeadEvent::id).containsExactly(older);

        assertThat(DeadEvent.renderJson(dead)).startsWith("[{\"id\":\"" + older + "\"").contains("\"heldBack\":4");
        assertThat(DeadEvent.renderJson(List.of())).isEqualTo("[]");
    }

    @Test
    void retryDeadMakesTheEventUndeliveredWithFreshAttemptsAndKeepsTheLastError() {
        UUID dead = insert(db, "Order", "1", "OrderPlaced", "now()", "dead:now()");
        UUID other = insert(db, "Order", "2", "OrderPlaced", "now()", "dead:now()");

        assertThat(ops.retryDead(dead)).isEqualTo(1);

        assertThat(db.queryString("SELECT concat_ws('|', attempts, coalesce(next_attempt_at::text, 'null'),"
                + " coalesce(dead_at::text, 'null'), coalesce(published_at::text, 'null'), last_error)"
                + " FROM outbox.event WHERE id = '" + dead + "'"))
                .isEqualTo("0|null|null|null|non-retryable: rejected");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE dead_at IS NOT NULL AND id = '" + other + "'"))
                .isEqualTo(1);
        assertThat(ops.status().dead()).isEqualTo(1);
    }

    @Test
    void retryDeadRefusesEventsThatAreNotDeadSayingWhatTheyAre() {
        UUID published = insert(db, "Order", "1", "OrderPlaced", "now()", "published:now()");
        UUID undelivered = insert(db, "Order", "2", "OrderPlaced", "now()", "retrying");
        UUID unknown = UUID.randomUUID();

        assertThatThrownBy(() -> ops.retryDead(unknown)).isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("event " + unknown + " is not dead: no event with this id exists");
        assertThatThrownBy(() -> ops.retryDead(published))
                .hasMessageStartingWith("event " + published + " is not dead: it was published");
        assertThatThrownBy(() -> ops.retryDead(undelivered))
                .hasMessageStartingWith("event " + undelivered + " is not dead: it is undelivered");
        assertThat(db.queryLong("SELECT attempts FROM outbox.event WHERE id = '" + undelivered + "'")).isEqualTo(2);
    }

    @Test
    void retryAllDeadRedrivesEveryDeadEventInOneGo() {
        insert(db, "Order", "1", "OrderPlaced", "now()", "dead:now()");
        insert(db, "Order", "2", "OrderPlaced", "now()", "dead:now()");
        insert(db, "Order", "3", "OrderPlaced", "now()", "published:now()");

        assertThat(ops.retryAllDead()).isEqualTo(2);
        assertThat(ops.retryAllDead()).isZero();
        assertThat(ops.status().backlog()).isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE last_error = 'non-retryable: rejected'"))
                .isEqualTo(2);
    }

    @Test
    void discardDeadDeletesTheDeadEventAndReportsTheEventsItReleases() {
        UUID dead = insert(db, "Order", "1", "OrderPlaced", "now()", "dead:now()");
        insert(db, "Order", "1", "OrderChanged", "now()", "undelivered");
        insert(db, "Order", "1", "OrderChanged", "now()", "undelivered");

        DeadEvent discarded = ops.discardDead(dead);

        assertThat(discarded.id()).isEqualTo(dead);
        assertThat(discarded.type()).isEqualTo("OrderPlaced");
        assertThat(discarded.heldBack()).isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE id = '" + dead + "'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(2);
        assertThatThrownBy(() -> ops.discardDead(dead)).isInstanceOf(OutboxException.class)
                .hasMessageContaining("is not dead: no event with this id exists");
    }

    @Test
    void discardDeadRefusesAnEventThatIsNotDead() {
        UUID undelivered = insert(db, "Order", "1", "OrderPlaced", "now()", "undelivered");

        assertThatThrownBy(() -> ops.discardDead(undelivered)).isInstanceOf(OutboxException.class)
                .hasMessageContaining("is not dead: it is undelivered");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE id = '" + undelivered + "'")).isEqualTo(1);
    }

    @Test
    void replayRequeuesExactlyThePublishedEventsOfTheRangeTypeAndAggregateType() {
        Instant from = Instant.parse("2025-01-01T10:00:00Z");
        Instant to = Instant.parse("2025-01-01T11:00:00Z");
        String in = "'2025-01-01T10:30:00Z'";
        List<UUID> selected = new ArrayList<>();
        selected.add(insert(db, "Order", "1", "OrderPlaced", "'2025-01-01T10:00:00Z'", "published:now()")); // inclusive
        selected.add(insert(db, "Order", "2", "OrderPlaced", in, "published:now()"));
        List<UUID> untouched = new ArrayList<>();
        untouched.add(insert(db, "Order", "3", "OrderPlaced", "'2025-01-01T11:00:00Z'", "published:now()")); // exclusive
        untouched.add(insert(db, "Order", "4", "OrderPlaced", "'2025-01-01T09:59:59Z'", "published:now()"));
        untouched.add(insert(db, "Order", "5", "OrderShipped", in, "published:now()")); // other type
        untouched.add(insert(db, "Invoice", "6", "OrderPlaced", in, "published:now()")); // other aggregate type
        UUID undelivered = insert(db, "Order", "7", "OrderPlaced", in, "retrying");
        UUID dead = insert(db, "Order", "8", "OrderPlaced", in, "dead:now()");
        String before = stateOf(untouched) + stateOf(List.of(undelivered, dead));
        ReplayRequest request = ReplayRequest.between(from, to).ofType("OrderPlaced").ofAggregateType("Order");

        assertThat(ops.countReplayable(request)).isEqualTo(2);
        ReplayResult result = ops.replay(request);

        assertThat(result.requeued()).isEqualTo(2);
        assertThat(result.request()).isEqualTo(request);
        assertThat(stateOf(selected)).isEqualTo("0|null|null|null|null\n".repeat(2));
        assertThat(stateOf(untouched) + stateOf(List.of(undelivered, dead))).isEqualTo(before);
        assertThat(ops.replayPending(result)).isEqualTo(2);
        assertThat(ops.countReplayable(request)).isZero();
    }

    @Test
    void replayMovesTheHistoryBackInOneStatementWithIdsAndSeqsAndReportsProgress() {
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, occurred_at)"
                + " SELECT 'Order', (i % 10)::text, 'OrderPlaced', '{}', '2025-01-01T10:00:00Z'"
                + " FROM generate_series(1, 2500) i");
        String queued = db.queryString("SELECT md5(string_agg(id || '/' || seq, ',' ORDER BY seq)) FROM outbox.event");
        db.execute("SELECT outbox.event_history_prepare((now() AT TIME ZONE 'UTC')::date, 1)");
        db.execute("WITH d AS (DELETE FROM outbox.event RETURNING id, seq, aggregatetype, aggregateid, type, payload,"
                + " headers, occurred_at, attempts, last_error) INSERT INTO outbox.event_history SELECT *, now() FROM d");
        List<Long> progress = new ArrayList<>();

        ReplayResult result = ops.replay(ReplayRequest.between(Instant.parse("2025-01-01T00:00:00Z"),
                Instant.parse("2025-01-02T00:00:00Z")), progress::add);

        assertThat(progress).containsExactly(2500L);
        assertThat(result.requeued()).isEqualTo(2500);
        assertThat(result.lastSeq() - result.firstSeq()).isEqualTo(2499);
        assertThat(db.queryString("SELECT md5(string_agg(id || '/' || seq, ',' ORDER BY seq)) FROM outbox.event"))
                .as("the same events, ids and seqs").isEqualTo(queued);
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history")).isZero();
        assertThat(ops.replayPending(result)).isEqualTo(2500);
    }

    @Test
    void replayOfEventsMarkedInPlaceByAnEarlierRelayWorksInBatchesOfAThousandAndReportsProgress() {
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, occurred_at, published_at)"
                + " SELECT 'Order', (i % 10)::text, 'OrderPlaced', '{}', '2025-01-01T10:00:00Z', now()"
                + " FROM generate_series(1, 2500) i");
        List<Long> progress = new ArrayList<>();

        ReplayResult result = ops.replay(ReplayRequest.between(Instant.parse("2025-01-01T00:00:00Z"),
                Instant.parse("2025-01-02T00:00:00Z")), progress::add);

        assertThat(progress).containsExactly(1000L, 2000L, 2500L);
        assertThat(result.requeued()).isEqualTo(2500);
        assertThat(result.lastSeq() - result.firstSeq()).isEqualTo(2499);
        assertThat(ops.status().backlog()).isEqualTo(2500);
        assertThat(ops.replayPending(result)).isEqualTo(2500);
        db.execute("UPDATE outbox.event SET published_at = now() WHERE seq % 2 = 0");
        assertThat(ops.replayPending(result)).isEqualTo(1250);
    }

    @Test
    void replayOfARangeWithoutRetainedPublishedEventsRequeuesNothing() {
        insert(db, "Order", "1", "OrderPlaced", "'2025-01-01T10:30:00Z'", "undelivered");

        ReplayResult result = ops.replay(ReplayRequest.between(Instant.parse("2025-01-01T10:00:00Z"),
                Instant.parse("2025-01-01T11:00:00Z")));

        assertThat(result.requeued()).isZero();
        assertThat(ops.replayPending(result)).isZero();
    }

    @Test
    void purgeDeletesExactlyThePublishedEventsOlderThanTheGivenAgeDroppingWholeDays() {
        for (int i = 0; i < 3; i++) {
            insert(db, "Order", "old" + i, "OrderPlaced", "now()", "published:now() - interval '3 days'");
        }
        for (int i = 0; i < 2; i++) {
            insert(db, "Order", "hour" + i, "OrderPlaced", "now()", "published:now() - interval '2 hours'");
        }
        insert(db, "Order", "new", "OrderPlaced", "now()", "published:now() - interval '10 minutes'");
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, published_at)"
                + " SELECT 'Order', i::text, 'OrderPlaced', '{}', now() - interval '2 hours'"
                + " FROM generate_series(1, 5) i"); // marked in place by a relay before V7
        insert(db, "Order", "u", "OrderPlaced", "now() - interval '3 days'", "undelivered");
        insert(db, "Order", "d", "OrderPlaced", "now() - interval '3 days'", "dead:now() - interval '3 days'");
        String threeDaysAgo = "event_history_p" + DateTimeFormatter.BASIC_ISO_DATE.format(
                LocalDate.now(ZoneOffset.UTC).minusDays(3));
        List<Long> progress = new ArrayList<>();

        long purged = ops.purgePublished(Duration.ofHours(1), 2, progress::add);

        assertThat(purged).isEqualTo(10);
        // a day dropped (3), the rest of the history (2), then in place, 2 rows per statement
        assertThat(progress).containsExactly(3L, 5L, 7L, 9L, 10L);
        assertThat(db.queryLong("SELECT count(*) FROM pg_class WHERE relname = '" + threeDaysAgo + "'"))
                .as("a day older than the cut-off is dropped whole").isZero();
        assertThat(db.queryString("SELECT string_agg(aggregateid, ',') FROM outbox.event_history")).isEqualTo("new");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).isEqualTo(2);
        assertThat(ops.status().published()).isEqualTo(1);
        assertThat(ops.purgePublished(Duration.ZERO, 100)).isEqualTo(1);
        assertThat(ops.status().published()).isZero();
        assertThat(ops.status().backlog()).isEqualTo(1);
        assertThat(ops.status().dead()).isEqualTo(1);
    }

    @Test
    void rejectsBadInputNamingTheRuleAndTheValue() {
        assertThatThrownBy(() -> Operations.create(relayRole, "Outbox; DROP")).isInstanceOf(OutboxException.class)
                .hasMessage("schema must be a plain SQL identifier: 1 to 63 characters of a-z, 0-9 and _,"
                        + " not starting with a digit (was \"Outbox; DROP\")");
        assertThatThrownBy(() -> ops.deadEvents(0)).hasMessage("dead list limit must be between 1 and 100000 (was 0)");
        assertThatThrownBy(() -> ops.purgePublished(Duration.ofSeconds(-1), 10))
                .hasMessage("purge olderThan must be zero or positive (was PT-1S)");
        assertThatThrownBy(() -> ops.purgePublished(Duration.ZERO, 0))
                .hasMessage("purge batchSize must be between 1 and 100000 (was 0)");
        Instant t = Instant.parse("2025-01-01T10:00:00Z");
        assertThatThrownBy(() -> ReplayRequest.between(t, t)).isInstanceOf(OutboxException.class)
                .hasMessageContaining("replay.from must be before replay.to");
        assertThatThrownBy(() -> ReplayRequest.between(null, t)).hasMessageContaining("are both required");
        assertThatThrownBy(() -> ReplayRequest.between(t, t.plusSeconds(1)).ofType(" "))
                .hasMessageContaining("replay.type must be null (any) or 1 to 255 characters");
    }

    @Test
    void explainsAMissingSchemaWithTheFix() {
        Operations wrongSchema = Operations.create(relayRole, "not_there");

        assertThatThrownBy(wrongSchema::status).isInstanceOf(OutboxException.class)
                .hasMessageContaining("Could not read the status of \"not_there\".event")
                .hasMessageContaining("Apply the migrations in sql/");
    }

    private static String stateOf(List<UUID> ids) {
        StringBuilder b = new StringBuilder();
        for (UUID id : ids) {
            b.append(db.queryString("SELECT concat_ws('|', attempts, coalesce(next_attempt_at::text, 'null'),"
                    + " coalesce(last_error, 'null'), coalesce(published_at::text, 'null'),"
                    + " coalesce(dead_at::text, 'null')) FROM outbox.event WHERE id = '" + id + "'"
                    + " UNION ALL SELECT concat_ws('|', 'history', seq, attempts, published_at)"
                    + " FROM outbox.event_history WHERE id = '" + id + "'")).append('\n');
        }
        return b.toString();
    }
}
