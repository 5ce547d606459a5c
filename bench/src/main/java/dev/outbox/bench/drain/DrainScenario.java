package dev.outbox.bench.drain;

import dev.outbox.bench.BenchContext;
import dev.outbox.bench.Comparison;
import dev.outbox.bench.EventSpec;
import dev.outbox.bench.LineChart;
import dev.outbox.bench.BarChart;
import dev.outbox.bench.Measurement;
import dev.outbox.bench.Relays;
import dev.outbox.bench.Report;
import dev.outbox.bench.Rounds;
import dev.outbox.bench.Scenario;
import dev.outbox.bench.ScratchDatabase;
import dev.outbox.bench.Table;
import dev.outbox.relay.RelayConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The relay with a no-op transport against the one-statement SQL ceiling ({@link CeilingSql}),
 * with retention kept (published rows moved to the history) and with retention 0 (deleted on publish), and the
 * drain rate against the size of the backlog. Both sides connect as {@code outbox_relay} and read
 * every column the relay reads; both start from the same freshly written, vacuumed backlog.
 */
public final class DrainScenario implements Scenario {
    static final int BATCH = 500;
    static final int KEYS = 1_000;
    private static final Duration CAP = Duration.ofMinutes(10);

    @Override
    public String name() {
        return "drain";
    }

    @Override
    public String description() {
        return "relay with a no-op transport vs one SQL statement per batch (move to the history, DELETE,"
                + " UPDATE ... RETURNING), retention kept vs 0, and drain rate vs backlog size";
    }

    @Override
    public void run(BenchContext context) throws Exception {
        int[] backlogs = context.quick() ? new int[] {1_000, 10_000} : new int[] {10_000, 100_000, 1_000_000};
        int deleteBacklog = backlogs[backlogs.length - 2];
        RelayConfig kept = Relays.config(Map.of("OUTBOX_BATCH_SIZE", String.valueOf(BATCH)));
        RelayConfig deleted = Relays.config(Map.of("OUTBOX_BATCH_SIZE", String.valueOf(BATCH), "OUTBOX_RETENTION", "0s"));
        List<Comparison> sweep = new ArrayList<>();
        Comparison deleting;
        Comparison marking;
        Comparison twoStatements;
        Comparison keptVsDeleted;
        try (ScratchDatabase db = context.scratchDatabase("drain")) {
            for (int i = 0; i < backlogs.length; i++) {
                sweep.add(compare(context, db, new EventSpec(backlogs[i], KEYS), kept, CeilingSql.MOVE,
                        "retention kept (move to the history)", i == 0));
            }
            EventSpec spec = new EventSpec(deleteBacklog, KEYS);
            deleting = compare(context, db, spec, deleted, CeilingSql.DELETE, "retention 0 (DELETE)", false);
            marking = compare(context, db, spec, kept, CeilingSql.MARK, "retention kept vs UPDATE in place", false);
            twoStatements = Rounds.compare(context, "drain, relay vs claim then move (two statements), " + spec,
                    "relay", round -> relayDrain(db, spec, kept), "two statements", round -> {
                        db.fill(spec);
                        Measurement m = drainWithTwoStatements(db.relayDataSource());
                        requireDrained(db);
                        return m;
                    }, false);
            keptVsDeleted = Rounds.compare(context, "drain, relay with retention kept vs 0, " + spec,
                    "retention kept", round -> relayDrain(db, spec, kept),
                    "retention 0", round -> relayDrain(db, spec, deleted), false);
        }
        report(context, backlogs, sweep, deleting, marking, twoStatements, keptVsDeleted, kept, deleted);
    }

    private static Measurement relayDrain(ScratchDatabase db, EventSpec spec, RelayConfig config) throws Exception {
        db.fill(spec);
        Measurement m = Relays.drain(db.relayDataSource(), new Relays.NoopTransport(), config, spec.count(), CAP);
        requireDrained(db);
        return m;
    }

    private static Comparison compare(BenchContext context, ScratchDatabase db, EventSpec spec, RelayConfig config,
                                      String ceiling, String mode, boolean warmUp) throws Exception {
        return Rounds.compare(context, "drain, " + mode + ", " + spec, "relay", round -> relayDrain(db, spec, config),
                "one statement", round -> {
            db.fill(spec);
            Measurement m = drainWithOneStatement(db.relayDataSource(), ceiling);
            requireDrained(db);
            if (m.events() != spec.count()) {
                throw new IllegalStateException("the statement drained " + m.events() + " of " + spec.count() + " events");
            }
            return m;
        }, warmUp);
    }

    /** Runs the ceiling statement, one batch per transaction, until it returns nothing; reads every column. */
    static Measurement drainWithOneStatement(DataSource dataSource, String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            s.setInt(1, BATCH);
            long drained = 0;
            long start = System.nanoTime();
            while (true) {
                int rows = 0;
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        rows++;
                        for (int col = 1; col <= CeilingSql.COLUMN_COUNT; col++) {
                            r.getObject(col);
                        }
                    }
                }
                if (rows == 0) {
                    return Measurement.of(drained, start, System.nanoTime());
                }
                drained += rows;
            }
        }
    }

    /**
     * Claims a batch with one statement and moves it with a second, in one transaction per batch,
     * until a claim returns nothing; reads every column: the round trips a relay that sends
     * between claiming and marking cannot avoid.
     */
    static Measurement drainWithTwoStatements(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement claim = c.prepareStatement(CeilingSql.CLAIM_ONLY);
             PreparedStatement move = c.prepareStatement(CeilingSql.MOVE_CLAIMED)) {
            c.setAutoCommit(false);
            claim.setInt(1, BATCH);
            long drained = 0;
            long start = System.nanoTime();
            while (true) {
                List<Object> ids = new ArrayList<>(BATCH);
                try (ResultSet r = claim.executeQuery()) {
                    while (r.next()) {
                        ids.add(r.getObject(1));
                        for (int col = 2; col <= CeilingSql.COLUMN_COUNT; col++) {
                            r.getObject(col);
                        }
                    }
                }
                if (ids.isEmpty()) {
                    c.commit();
                    return Measurement.of(drained, start, System.nanoTime());
                }
                move.setArray(1, c.createArrayOf("uuid", ids.toArray()));
                move.executeUpdate();
                c.commit();
                drained += ids.size();
            }
        }
    }

    private static void requireDrained(ScratchDatabase db) throws SQLException {
        long left = db.undelivered();
        if (left != 0) {
            throw new IllegalStateException(left + " events left undelivered after a drain");
        }
    }

    private void report(BenchContext context, int[] backlogs, List<Comparison> sweep, Comparison deleting,
                        Comparison marking, Comparison twoStatements, Comparison keptVsDeleted, RelayConfig kept,
                        RelayConfig deleted) {
        Report.Section section = context.report().section("drain: the relay vs one SQL statement per batch");
        section.text(String.format(Locale.ROOT, """
                How fast the relay empties a committed backlog when the broker costs nothing (a transport that \
                acknowledges every event at once), next to the ceiling of any polling relay on this schema: \
                one statement per batch of %d, in its own transaction, that claims the oldest undelivered \
                events with `FOR UPDATE SKIP LOCKED`, moves them to the history (retention kept, as the relay does \
                since V7) or deletes them (retention 0) \
                and returns every column the relay reads (`bench/…/drain/CeilingSql.java`). Both connect as \
                `outbox_relay`, both start from the same freshly written and vacuumed backlog over %,d keys. \
                The relay claims, sends and marks in separate round trips (and holds slot locks), so the \
                statement is an upper bound it cannot reach.""", BATCH, KEYS));
        Table table = new Table("retention", "backlog", "relay events/s", "one statement events/s", "relay / statement");
        LineChart chart = new LineChart("drain rate vs backlog (retention kept)", "undelivered events at start (log)",
                "events/s (median, min-max)", true);
        for (int i = 0; i < backlogs.length; i++) {
            Comparison c = sweep.get(i);
            table.row("kept (move)", String.format(Locale.ROOT, "%,d", backlogs[i]), c.rateA().formatRate(),
                    c.rateB().formatRate(), "**" + c.ratio().format(2) + "**");
            chart.point("relay, no-op transport", backlogs[i], c.rateA());
            chart.point("one statement (DELETE … RETURNING, INSERT into the history)", backlogs[i], c.rateB());
        }
        table.row("0 (DELETE)", String.format(Locale.ROOT, "%,d", deleting.a().get(0).events()), deleting.rateA().formatRate(),
                deleting.rateB().formatRate(), "**" + deleting.ratio().format(2) + "**");
        table.row("kept, vs marking in place (UPDATE, before V7)", String.format(Locale.ROOT, "%,d",
                        marking.a().get(0).events()), marking.rateA().formatRate(), marking.rateB().formatRate(),
                "**" + marking.ratio().format(2) + "**");
        table.row("kept, vs claim then move (two statements)", String.format(Locale.ROOT, "%,d",
                        twoStatements.a().get(0).events()), twoStatements.rateA().formatRate(),
                twoStatements.rateB().formatRate(), "**" + twoStatements.ratio().format(2) + "**");
        section.text("Medians over " + deleting.rounds() + " interleaved rounds, (min–max):");
        section.table(table);
        section.text(String.format(Locale.ROOT, "What keeping the history costs the relay: with retention kept it drained"
                        + " %s events/s, with retention 0 %s events/s (%,d events, interleaved rounds): kept / 0 = **%s**.",
                keptVsDeleted.rateA().formatRate(), keptVsDeleted.rateB().formatRate(),
                keptVsDeleted.a().get(0).events(), keptVsDeleted.ratio().format(2)));
        section.plot(chart, "drain-backlog");
        BarChart ratios = new BarChart("drain: relay / one statement", "relay rate / statement rate (median, min-max)")
                .reference(1, "as fast as the statement");
        for (int i = 0; i < backlogs.length; i++) {
            ratios.bar(String.format(Locale.ROOT, "kept\n%,d", backlogs[i]), "relay / one statement", sweep.get(i).ratio());
        }
        ratios.bar(String.format(Locale.ROOT, "0 (DELETE)\n%,d", deleting.a().get(0).events()), "relay / one statement",
                deleting.ratio());
        section.plot(ratios, "drain-ratio");
        List<String> notes = new ArrayList<>();
        sweep.forEach(c -> notes.addAll(c.notes()));
        notes.addAll(deleting.notes());
        notes.addAll(marking.notes());
        notes.addAll(twoStatements.notes());
        notes.addAll(keptVsDeleted.notes());
        if (!notes.isEmpty()) {
            section.text("Notes: " + String.join("; ", notes));
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("events", "aggregate type Order, " + KEYS + " keys round-robin, ~250-byte JSON payload, headers"
                + " traceparent and correlationid; written with one INSERT … SELECT, then VACUUM ANALYZE");
        settings.put("relay, retention kept", Relays.describe(kept));
        settings.put("relay, retention 0", Relays.describe(deleted));
        settings.put("statement, retention kept", "`" + CeilingSql.MOVE + "`");
        settings.put("statement, marking in place", "`" + CeilingSql.MARK + "`");
        settings.put("two statements", "`" + CeilingSql.CLAIM_ONLY + "`, then `" + CeilingSql.MOVE_CLAIMED + "`");
        settings.put("statement, retention 0", "`" + CeilingSql.DELETE + "`");
        settings.put("PostgreSQL", postgresVersion(context));
        section.settings("Settings and versions", settings);
    }

    static String postgresVersion(BenchContext context) {
        try (Connection c = java.sql.DriverManager.getConnection(context.services().jdbcUrl());
             var s = c.createStatement(); var r = s.executeQuery("SHOW server_version")) {
            r.next();
            return r.getString(1);
        } catch (SQLException e) {
            return "unknown";
        }
    }
}
