package dev.outbox.relay.testing;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.spi.Transport;
import dev.outbox.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test database with the {@code sink} table, and the relays a test starts, closed after each
 * test. Registered as a static field ({@code @RegisterExtension static final RelayDatabase db})
 * one database serves the class and is emptied before each test; as an instance field each test
 * gets a database of its own.
 */
public final class RelayDatabase implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {
    private final List<Relay> relays = new ArrayList<>();
    private TestDatabase db;
    private boolean perClass;

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        db = TestDatabase.create();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (perClass) {
            db.execute("TRUNCATE outbox.event, outbox.event_history, outbox.inbox; DROP TABLE IF EXISTS sink");
        } else {
            db = TestDatabase.create();
        }
        Events.createSink(db);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        relays.forEach(Relay::close);
        relays.clear();
        if (!perClass) {
            db.close();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (db != null) {
            db.close();
        }
    }

    public TestDatabase db() {
        return db;
    }

    /** Connections with only the outbox_relay role's privileges, as in production. */
    public DataSource relayRole() {
        return Events.relayRoleDataSource(db);
    }

    /** The operator operations on this database's outbox, as the CLI runs them (role outbox_relay). */
    public Operations operations() {
        return Operations.create(relayRole(), "outbox");
    }

    /** A transport writing to this database's {@code sink} table. */
    public SinkTransport sink(String sender) {
        return new SinkTransport(db.jdbcUrl(), sender);
    }

    /** Starts a relay (as outbox_relay) that is closed after the test. */
    public Relay start(Transport transport, RelayConfig config) {
        return start(Relay.builder(relayRole(), transport).config(config));
    }

    /** Starts a relay built by the caller (clock, jitter) that is closed after the test. */
    public Relay start(Relay.Builder builder) {
        Relay relay = builder.build();
        relays.add(relay);
        return relay.start();
    }

    /** Short intervals, so tests finish quickly. */
    public static RelayConfig.Builder fast() {
        return RelayConfig.builder()
                .batchSize(100)
                .minPollInterval(Duration.ofMillis(5))
                .maxPollInterval(Duration.ofMillis(50))
                .rebalanceInterval(Duration.ofMillis(100))
                .shutdownTimeout(Duration.ofSeconds(5));
    }
}
