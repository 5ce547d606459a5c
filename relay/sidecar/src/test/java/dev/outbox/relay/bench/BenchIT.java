package dev.outbox.relay.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The benchmark runs end to end (small, so CI stays fast; its numbers are not asserted). */
class BenchIT {
    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();
    private static TestDatabase db;

    @BeforeAll
    static void database() {
        db = FIXTURE.db();
    }

    @Test
    void drainsTheSameEventsByHandAndWithTheRelayAndCleansUp() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Bench.Result result = new Bench(Events.dataSource(db), "outbox", 500, new PrintStream(log, true, StandardCharsets.UTF_8))
                .run(5_000, 1);
        assertThat(result.rawPerSecond()).isPositive();
        assertThat(result.relayPerSecond()).isPositive();
        assertThat(result.render()).contains("ratio relay / loop");
        assertThat(db.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = 'outbox_bench'")).isZero();
        assertThat(db.queryLong("SELECT count(*) FROM outbox.event")).as("the real outbox is untouched").isZero();
    }
}
