package dev.outbox.relay;

import static dev.outbox.relay.testing.Events.awaitAllPublished;
import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Claims are bounded in bytes as well as rows: large events neither exhaust the heap nor stall other keys. */
class LargeEventsIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int MIB = 1 << 20;
    /** Bytes of the payload text {@code {"blob": "…"}} around a blob of n characters. */
    private static final int ENVELOPE = "{\"blob\": \"\"}".length();

    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;

    @BeforeEach
    void database() {
        db = fixture.db();
    }

    /** Inserts events whose payload text is exactly {@code bytes} long, as plain SQL writers would. */
    private void insertLarge(String aggregateId, int count, int bytes) {
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " SELECT 'Blob', '" + aggregateId + "' || CASE WHEN " + count + " > 1 THEN '-' || g ELSE '' END,"
                + " 'BlobStored', jsonb_build_object('blob', repeat('x', " + (bytes - ENVELOPE) + "))"
                + " FROM generate_series(1, " + count + ") g");
    }

    @Test
    void aClaimNeverHoldsMoreBytesThanTheBudget() {
        SinkTransport sink = fixture.sink("r1");
        AtomicLong largestCall = new AtomicLong();
        Transport measuring = batch -> {
            largestCall.accumulateAndGet(bytes(batch), Math::max);
            return sink.send(batch);
        };
        insertLarge("big", 12, 300_000); // 12 keys, one wave per claim: a send call is a whole claim
        Relay relay = fixture.start(measuring, RelayDatabase.fast().batchMaxBytes(MIB).build());

        awaitAllPublished(db, WAIT);
        assertThat(largestCall.get()).as("bytes claimed at once").isLessThanOrEqualTo(MIB).isGreaterThan(MIB / 2);
        assertThat(relay.stats().published()).isEqualTo(12);
        assertThat(relay.stats().batches()).as("300 kB events, 1 MiB budget: 3 per claim").isEqualTo(4);
    }

    @Test
    void anEventAboveTheBudgetIsDeadWithAReadableErrorAndEveryOtherKeyFlows() {
        // The largest payload the schema takes plus headers: legal, yet above the smallest budget.
        insertLarge("huge", 1, MIB);
        db.execute("UPDATE outbox.event SET headers = jsonb_build_object('pad', repeat('h', 1000)) WHERE aggregateid = 'huge'");
        long size = db.queryLong("SELECT octet_length(payload::text) + octet_length(headers::text) FROM outbox.event"
                + " WHERE aggregateid = 'huge'");
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " VALUES ('Blob', 'huge', 'BlobDeleted', '{}'), ('Order', 'o-1', 'OrderPlaced', '{}')");
        Events.insert(db, 100, 10, "OrderPlaced");
        Relay relay = fixture.start(fixture.sink("r1"), RelayDatabase.fast().batchMaxBytes(MIB).build());

        await("every other key delivered", WAIT, () -> db.queryLong("SELECT count(*) FROM sink") == 101);
        assertThat(db.queryString("SELECT last_error FROM outbox.event WHERE dead_at IS NOT NULL"))
                .contains(size + " bytes as JSON text", "OUTBOX_BATCH_MAX_BYTES", String.valueOf(MIB), "relay dead retry");
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event WHERE aggregateid = 'huge' AND published_at IS NULL"))
                .as("the dead event and the later one of its key, parked behind it").isEqualTo(2);
        assertThat(relay.stats().dead()).isEqualTo(1);
    }

    /**
     * The sidecar as operators run it, with a small heap and the default batch of 500: 1 MiB
     * events (the largest the schema accepts) used to be claimed 500 at a time and the claim ran
     * out of memory on every try, so nothing was published, not even small events of other keys.
     */
    @Test
    void aSidecarWithASmallHeapDrainsLargeEventsAndKeepsOtherKeysFlowing(@TempDir Path dir) throws Exception {
        insertLarge("big", 200, MIB);
        db.execute("INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload)"
                + " VALUES ('Order', 'small-1', 'OrderPlaced', '{\"n\": 1}')");

        Path log = dir.resolve("sidecar.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx128m", "-cp", Path.of("target/outbox-relay/relay.jar").toString(),
                "dev.outbox.relay.sidecar.Main", "run")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD) // the log transport's 200 MiB of events
                .redirectError(log.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("OUTBOX_"));
        builder.environment().put("OUTBOX_JDBC_URL", db.jdbcUrl() + "&options=-c%20role%3Doutbox_relay");
        builder.environment().put("OUTBOX_HTTP_PORT", "0");
        Process sidecar = builder.start();
        try {
            awaitAllPublished(db, WAIT);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nsidecar log:\n" + tail(log), e);
        } finally {
            sidecar.destroy();
            assertThat(sidecar.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).as("undelivered or dead").isZero();
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event_history WHERE attempts > 0")).as("charged").isZero();
        assertThat(Files.readString(log)).doesNotContain("Ran out of memory", "OutOfMemoryError");
        assertThat(sidecar.exitValue()).as(tail(log)).isZero();
    }

    private static long bytes(List<OutboxMessage> batch) {
        return batch.stream().mapToLong(m -> m.payload().getBytes(StandardCharsets.UTF_8).length
                + m.headers().toString().length()).sum();
    }

    private static String tail(Path log) throws java.io.IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
