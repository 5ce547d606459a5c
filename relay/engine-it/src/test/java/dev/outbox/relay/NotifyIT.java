package dev.outbox.relay;

import static dev.outbox.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The optional LISTEN/NOTIFY wake-up (sql/optional/notify_on_insert.sql). */
class NotifyIT {
    @RegisterExtension
    final RelayDatabase fixture = new RelayDatabase();
    private TestDatabase db;

    @BeforeEach
    void database() throws Exception {
        db = fixture.db();
        db.execute(Files.readString(TestDatabase.sqlDirectory().resolve("optional/notify_on_insert.sql")));
    }

    @Test
    void listeningRelayDeliversAtOnceAlthoughItsPollIntervalIsAMinute() {
        Duration minute = Duration.ofMinutes(1);
        RelayConfig config = RelayConfig.builder().listenNotify(true).minPollInterval(minute).maxPollInterval(minute)
                .shutdownTimeout(Duration.ofSeconds(5)).build();
        Relay relay = Relay.builder(Events.relayRoleDataSource(db), new SinkTransport(db.jdbcUrl(), "r1"))
                .config(config).build().start();
        try {
            await("the relay is idle", Duration.ofSeconds(30), () -> relay.stats().ready());
            for (int i = 1; i <= 3; i++) {
                int n = i;
                Events.insert(db, 1, 1, "OrderPlaced");
                // Only a notification can wake it this early: polling would take a minute.
                await("event " + n + " delivered", Duration.ofSeconds(10),
                        () -> db.queryLong("SELECT count(*) FROM sink") == n);
            }
        } finally {
            long started = System.nanoTime();
            relay.close();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("close() does not wait for the poll interval")
                    .isLessThan(Duration.ofSeconds(2));
        }
    }
}
