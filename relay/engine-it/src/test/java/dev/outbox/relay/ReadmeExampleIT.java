package dev.outbox.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.testing.Events;
import dev.outbox.relay.testing.RelayDatabase;
import dev.outbox.relay.testing.SinkTransport;
import dev.outbox.testing.TestDatabase;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's embedded-relay snippet (between the tags), compiled and run. */
class ReadmeExampleIT {
    @RegisterExtension
    static final RelayDatabase FIXTURE = new RelayDatabase();
    private static TestDatabase db;

    @BeforeAll
    static void database() {
        db = FIXTURE.db();
    }

    static void runEmbedded(DataSource dataSource, Transport transport, CountDownLatch shutdown)
            throws InterruptedException {
        // tag::relay[]
        try (Relay relay = Relay.builder(dataSource, transport).config(RelayConfig.defaults()).build()) {
            relay.start();
            shutdown.await(); // e.g. until the application stops
        }
        // end::relay[]
    }

    @Test
    void embeddedRelayDeliversUntilShutdown() throws Exception {
        Events.insert(db, 20, 4, "OrderPlaced");
        CountDownLatch shutdown = new CountDownLatch(1);
        ExecutorService app = Executors.newSingleThreadExecutor();
        try {
            Future<?> running = app.submit(() -> {
                runEmbedded(Events.relayRoleDataSource(db), new SinkTransport(db.jdbcUrl(), "app"), shutdown);
                return null;
            });
            Events.awaitAllPublished(db, Duration.ofSeconds(30));
            shutdown.countDown();
            running.get(30, TimeUnit.SECONDS);
        } finally {
            app.shutdownNow();
        }
        assertThat(Events.received(db).distinct()).isEqualTo(20);
    }
}
