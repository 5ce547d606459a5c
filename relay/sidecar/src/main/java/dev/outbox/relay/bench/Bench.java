package dev.outbox.relay.bench;

import dev.outbox.core.OutboxException;
import dev.outbox.core.internal.SqlIdentifiers;
import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * Measures the relay's drain rate with a no-op transport next to the ceiling: a hand-written
 * loop of batched {@code SELECT … FOR UPDATE SKIP LOCKED} and {@code UPDATE … WHERE id = ANY(?)}
 * reading the same columns. Both drain the same number of events from a scratch copy of the
 * event table ({@code <schema>_bench}, dropped afterwards), alternating, on the same database in
 * one run, so the ratio is meaningful on a noisy machine even when the absolute rates are not.
 *
 * <p>Needs a role that may create a schema (not the relay role): this is a developer tool.
 */
public final class Bench {
    /**
     * @param events events drained per run
     * @param rawPerSecond best rate of the hand-written loop
     * @param relayPerSecond best rate of the relay with a no-op transport
     */
    public record Result(int events, int rounds, double rawPerSecond, double relayPerSecond) {
        public double ratio() {
            return relayPerSecond / rawPerSecond;
        }

        public String render() {
            return String.format("events per run: %,d (best of %d)%n"
                    + "hand-written claim-and-mark loop: %,10.0f events/s%n"
                    + "relay, no-op transport:           %,10.0f events/s%n"
                    + "ratio relay / loop:               %10.2f%n", events, rounds, rawPerSecond, relayPerSecond, ratio());
        }
    }

    private final DataSource dataSource;
    private final String schema;
    private final String benchSchema;
    private final int batchSize;
    private final PrintStream progress;

    public Bench(DataSource dataSource, String schema, int batchSize, PrintStream progress) {
        SqlIdentifiers.quote("schema", schema);
        this.dataSource = dataSource;
        this.schema = schema;
        this.benchSchema = SqlIdentifiers.quote("bench schema", schema + "_bench").replace("\"", "");
        this.batchSize = batchSize;
        this.progress = progress;
    }

    public Result run(int events, int rounds) {
        double raw = 0;
        double relay = 0;
        try {
            createTable();
            for (int round = 1; round <= rounds; round++) {
                fill(events);
                double r = events / drainByHand();
                progress.printf("round %d: loop  %,.0f events/s%n", round, r);
                fill(events);
                double e = events / drainWithRelay(events);
                progress.printf("round %d: relay %,.0f events/s%n", round, e);
                raw = Math.max(raw, r);
                relay = Math.max(relay, e);
            }
        } catch (SQLException e) {
            throw new OutboxException("bench failed: " + e.getMessage()
                    + " (it needs a role that may create the schema " + benchSchema + ")", e);
        } finally {
            dropTable();
        }
        return new Result(events, rounds, raw, relay);
    }

    private void createTable() throws SQLException {
        execute("DROP SCHEMA IF EXISTS " + benchSchema + " CASCADE; CREATE SCHEMA " + benchSchema
                + "; CREATE TABLE " + benchSchema + ".event (LIKE " + schema + ".event INCLUDING ALL)");
    }

    private void dropTable() {
        try {
            execute("DROP SCHEMA IF EXISTS " + benchSchema + " CASCADE");
        } catch (SQLException e) {
            progress.println("could not drop " + benchSchema + ": " + e.getMessage());
        }
    }

    /** A fresh table of undelivered events (~150-byte payloads over 1,000 keys), vacuumed and analysed. */
    private void fill(int events) throws SQLException {
        execute("TRUNCATE " + benchSchema + ".event; INSERT INTO " + benchSchema + ".event"
                + " (aggregatetype, aggregateid, type, payload, headers)"
                + " SELECT 'Order', 'order-' || (g % 1000), 'OrderPlaced',"
                + " jsonb_build_object('orderId', g, 'customer', 'customer-' || (g % 977), 'total', g * 1.5,"
                + " 'lines', jsonb_build_array(jsonb_build_object('sku', 'A-' || (g % 50), 'qty', 1 + g % 3))),"
                + " jsonb_build_object('correlationid', 'req-' || g)"
                + " FROM generate_series(1, " + events + ") g");
        execute("VACUUM ANALYZE " + benchSchema + ".event");
    }

    /** Drains the table with the hand-written loop; returns the seconds it took. */
    private double drainByHand() throws SQLException {
        String claim = "SELECT id, seq, aggregatetype, aggregateid, type, payload::text, headers::text, occurred_at, attempts"
                + " FROM " + benchSchema + ".event WHERE published_at IS NULL AND dead_at IS NULL"
                + " ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED";
        String mark = "UPDATE " + benchSchema + ".event SET published_at = now() WHERE id = ANY(?)";
        try (Connection c = dataSource.getConnection();
             PreparedStatement select = c.prepareStatement(claim);
             PreparedStatement update = c.prepareStatement(mark)) {
            c.setAutoCommit(false);
            long started = System.nanoTime();
            while (true) {
                select.setInt(1, batchSize);
                List<UUID> ids = new ArrayList<>(batchSize);
                try (ResultSet r = select.executeQuery()) {
                    while (r.next()) {
                        ids.add(r.getObject(1, UUID.class));
                        for (int column = 2; column <= 9; column++) {
                            r.getObject(column);
                        }
                    }
                }
                if (ids.isEmpty()) {
                    c.commit();
                    return (System.nanoTime() - started) / 1e9;
                }
                update.setArray(1, c.createArrayOf("uuid", ids.toArray()));
                update.executeUpdate();
                c.commit();
            }
        }
    }

    /**
     * Drains the table with a relay; returns the seconds from start until it published every
     * event (read from its own counters, so measuring adds no load to the database).
     */
    private double drainWithRelay(int events) {
        RelayConfig config = RelayConfig.builder().schema(benchSchema).instanceName("bench").batchSize(batchSize)
                .minPollInterval(Duration.ZERO).maxPollInterval(Duration.ofMillis(5)).build();
        Relay relay = Relay.builder(dataSource, new NoopTransport()).config(config).build();
        try {
            long started = System.nanoTime();
            relay.start();
            while (relay.stats().published() < events) {
                LockSupport.parkNanos(1_000_000); // 1 ms: fine enough, and leaves the CPU to the relay
            }
            return (System.nanoTime() - started) / 1e9;
        } finally {
            relay.close();
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute(sql);
        }
    }

    /** Acknowledges everything at once: measures the relay, not a broker. */
    static final class NoopTransport implements Transport {
        @Override
        public List<SendResult> send(List<OutboxMessage> batch) {
            List<SendResult> results = new ArrayList<>(batch.size());
            for (OutboxMessage m : batch) {
                results.add(SendResult.acknowledged(m.id()));
            }
            return results;
        }
    }
}
