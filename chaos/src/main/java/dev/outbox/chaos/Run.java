package dev.outbox.chaos;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One scenario's run: its own database (sql/ applied), its own route on the broker, a reader
 * started before any relay, the workload, the relay processes, and the faults it injected.
 * {@link #finish} waits for the drain, stops the relays and counts.
 */
final class Run implements AutoCloseable {
    /** Events per claim (the relay's default). */
    static final int BATCH_SIZE = 500;
    /**
     * The duplicate target per fault: the relay's pipeline, one batch delivered and waiting for
     * its mark and one in flight, is what a fault can leave unmarked.
     */
    static final int DUPLICATES_PER_FAULT = 2 * BATCH_SIZE;
    static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);

    final Lab lab;
    final String name;
    final String database;
    final String route;
    final Broker broker;
    final Workload workload;
    final List<String> notes = new ArrayList<>();
    private final List<Proc> relays = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final Map<String, String> relayEnv = new HashMap<>();
    private final Broker.Reader reader;
    private int relayPort;
    private int started;
    private long publishedSoFar;

    private Run(Lab lab, String name, Broker broker) throws Exception {
        this.lab = lab;
        this.name = name;
        this.database = "chaos_" + name.replace('-', '_');
        this.route = database; // also the aggregatetype: one stream/topic/queue per scenario
        this.broker = broker;
        this.relayPort = broker.port();
        lab.postgres().createDatabase(database);
        broker.prepare(route);
        this.reader = broker.reader(route);
        this.workload = new Workload(lab.postgres(), database, route, lab.settings);
    }

    static Run begin(Lab lab, String name, Broker broker) throws Exception {
        return new Run(lab, name, broker);
    }

    /** Extra OUTBOX_* settings for the relays of this run. */
    Run relaySetting(String key, String value) {
        relayEnv.put(key, value);
        return this;
    }

    /** Relays connect to the broker through this port (a stall proxy's). */
    Run relayPort(int port) {
        this.relayPort = port;
        return this;
    }

    /** Starts one more sidecar: {@code java -jar relay/distribution/target/outbox-relay/relay.jar run}, configured by environment only. */
    Proc startRelay() {
        try {
            publishedSoFar = published();
        } catch (SQLException e) {
            publishedSoFar = 0; // the database is down (being restarted): any delivery counts
        }
        String instance = name + "-relay" + (++started);
        Map<String, String> env = new HashMap<>(broker.relayEnv(route, relayPort));
        env.put("OUTBOX_JDBC_URL", lab.postgres().jdbcUrl(database, PrivatePostgres.RELAY_ROLE));
        env.put("OUTBOX_INSTANCE_NAME", instance);
        env.put("OUTBOX_HTTP_ENABLED", "false");
        env.put("OUTBOX_BATCH_SIZE", String.valueOf(BATCH_SIZE));
        env.put("OUTBOX_SHUTDOWN_TIMEOUT", SHUTDOWN_TIMEOUT.toSeconds() + "s");
        env.putAll(relayEnv);
        Proc relay = Proc.start(lab, instance, List.of("java", "-Dchaos.relay=" + lab.work, "-Xmx256m",
                "-XX:+UseSerialGC", "-jar", lab.relayJar().toString(), "run"), env, "-Dchaos.relay=" + lab.work);
        relays.add(relay);
        return relay;
    }

    /** The relay started last that is still running. */
    Proc relay() {
        for (int i = relays.size() - 1; i >= 0; i--) {
            if (relays.get(i).alive()) {
                return relays.get(i);
            }
        }
        throw new IllegalStateException("no relay of " + name + " is running; see " + lab.work.resolve("logs"));
    }

    /**
     * Waits until the relays deliver (more events are published than when a relay was last
     * started or this was last called): a fault injected now hits a relay that is draining, not
     * a JVM still starting.
     */
    void awaitDraining() throws SQLException {
        long before = publishedSoFar;
        long deadline = System.currentTimeMillis() + 120_000;
        while ((publishedSoFar = published()) <= before) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("no event of " + name + " was published for 120 s; see the relay logs in "
                        + lab.work.resolve("logs"));
            }
            Await.pause(20);
        }
    }

    /** Waits for {@code rounds} rounds of the workload, then for the relays to be draining. */
    void awaitMidDrain(int rounds) throws SQLException {
        workload.awaitRounds(rounds);
        awaitDraining();
    }

    List<Fault> faults() {
        return List.copyOf(faults);
    }

    void fault(String what, long startMillis, long endMillis) {
        faults.add(new Fault(what, startMillis, endMillis));
    }

    /** Waits for the workload and the drain, stops the relays, reads the broker and counts. */
    Row finish(Set<String> parkedKeys, boolean integrityFailed) throws Exception {
        workload.awaitDone();
        long stuck = awaitDrained(parkedKeys);
        if (stuck > 0) {
            notes.add(stuck + " events still undelivered after 180 s");
        }
        for (Proc relay : relays) {
            if (relay.alive()) {
                relay.term();
                relay.waitFor(SHUTDOWN_TIMEOUT.plusSeconds(5));
                relay.close();
            }
        }
        List<Tally.Stored> stored = stored();
        int published = (int) stored.stream().filter(Tally.Stored::published).count();
        List<Delivery> deliveries = reader.readAll(published);
        Tally.Counts counts = Tally.count(stored, deliveries, parkedKeys, faults, workload::committedAt);
        writeTimeline(deliveries);
        notes.add(0, String.format(java.util.Locale.ROOT, "peak %,d/s", counts.peakPerSecond()));
        if (counts.unexpected() > 0) {
            notes.add(counts.unexpected() + " messages the workload did not write");
        }
        if (counts.dead() > 0) {
            notes.add(counts.dead() + " expected events went dead");
        }
        long charged = chargedAttempts(parkedKeys);
        if (charged > 0) {
            notes.add(charged + " events charged an attempt");
        }
        return new Row(name, broker.name(), faults.size(), counts, (long) faults.size() * DUPLICATES_PER_FAULT, List.copyOf(notes),
                integrityFailed, null);
    }

    private long awaitDrained(Set<String> parkedKeys) throws SQLException {
        long deadline = System.currentTimeMillis() + 180_000;
        while (true) {
            long undelivered = query("SELECT count(*) FROM outbox.event WHERE aggregatetype = ? AND published_at IS NULL "
                    + "AND dead_at IS NULL AND NOT (aggregateid = ANY (?))", parkedKeys);
            if (undelivered == 0 || System.currentTimeMillis() > deadline) {
                return undelivered;
            }
            Await.pause(100);
        }
    }

    /** logs/<scenario>-timeline.csv: every delivery with its commit and arrival time, and the faults, to look into a slow recovery. */
    private void writeTimeline(List<Delivery> deliveries) throws java.io.IOException {
        try (java.io.PrintWriter out = new java.io.PrintWriter(java.nio.file.Files.newBufferedWriter(
                lab.work.resolve("logs").resolve(name + "-timeline.csv")))) {
            out.println("kind,key,n,committed_ms,arrived_ms");
            for (Fault f : faults) {
                out.println("fault," + f.what() + ",," + f.startMillis() + "," + f.endMillis());
            }
            for (Delivery d : deliveries) {
                out.println("delivery," + d.key() + "," + d.n() + "," + workload.committedAt(d.key(), d.n()) + "," + d.atMillis());
            }
        }
    }

    private long published() throws SQLException {
        return query("SELECT count(*) FROM outbox.event_history WHERE aggregatetype = ? "
                + "AND NOT (aggregateid = ANY (?))", Set.of());
    }

    private long chargedAttempts(Set<String> parkedKeys) throws SQLException {
        return query("SELECT count(*) FROM (SELECT aggregatetype, aggregateid FROM outbox.event WHERE attempts > 0 "
                + "UNION ALL SELECT aggregatetype, aggregateid FROM outbox.event_history WHERE attempts > 0) e "
                + "WHERE aggregatetype = ? AND NOT (aggregateid = ANY (?))", parkedKeys);
    }

    long query(String sql, Set<String> keys) throws SQLException {
        try (Connection c = lab.postgres().connect(database); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, route);
            s.setArray(2, c.createArrayOf("text", keys.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private List<Tally.Stored> stored() throws SQLException {
        List<Tally.Stored> out = new ArrayList<>();
        try (Connection c = lab.postgres().connect(database);
                PreparedStatement s = c.prepareStatement("SELECT aggregateid, (payload->>'n')::int, "
                        + "published_at IS NOT NULL, dead_at IS NOT NULL FROM outbox.event WHERE aggregatetype = ? "
                        + "UNION ALL SELECT aggregateid, (payload->>'n')::int, true, false "
                        + "FROM outbox.event_history WHERE aggregatetype = ?")) {
            s.setString(1, route);
            s.setString(2, route);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new Tally.Stored(rs.getString(1), rs.getInt(2), rs.getBoolean(3), rs.getBoolean(4)));
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws java.io.IOException {
        workload.close();
        relays.forEach(Proc::close);
        reader.close();
    }
}
