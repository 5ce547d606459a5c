package dev.outbox.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.UUID;

/**
 * What a {@link Scenario} gets from the harness: the settings of the run, where the services
 * are, the report, scratch databases and a progress log.
 */
public final class BenchContext {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final int rounds;
    private final boolean quick;
    private final Services services;
    private final Report report;
    private final Path sqlDirectory;
    private final PrintStream log;
    private final String runId = UUID.randomUUID().toString().substring(0, 6);
    private final Cleanups cleanups = new Cleanups();

    public BenchContext(int rounds, boolean quick, Services services, Report report, Path sqlDirectory, PrintStream log) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be >= 1 (was " + rounds + ")");
        }
        this.rounds = rounds;
        this.quick = quick;
        this.services = services;
        this.report = report;
        this.sqlDirectory = sqlDirectory;
        this.log = log;
    }

    /** Interleaved rounds per comparison ({@code --rounds}, default 3; 1 with {@code --quick}). */
    public int rounds() {
        return rounds;
    }

    /** {@code --quick}: small event counts, no warm-up: to see that it works, not to measure. */
    public boolean quick() {
        return quick;
    }

    /** {@code full} normally, {@code quick} with {@code --quick}. */
    public int size(int full, int quick) {
        return this.quick ? quick : full;
    }

    public Duration size(Duration full, Duration quick) {
        return this.quick ? quick : full;
    }

    public Services services() {
        return services;
    }

    public Report report() {
        return report;
    }

    public Path sqlDirectory() {
        return sqlDirectory;
    }

    /** A short random id of this run, for the names of topics, queues and streams it creates. */
    public String runId() {
        return runId;
    }

    /** A new database with {@code sql/} applied; close it to drop it (an interrupted run drops it on exit). */
    public ScratchDatabase scratchDatabase(String label) throws SQLException {
        Services.require("PostgreSQL", ScratchDatabase.hostPort(services.jdbcUrl()),
                "start it, or set OUTBOX_TEST_JDBC_URL to a superuser's JDBC URL");
        ScratchDatabase db = ScratchDatabase.create(services.jdbcUrl(), label, sqlDirectory, cleanups);
        log("scratch database %s (dropped at the end)", db.name());
        return db;
    }

    /**
     * Registers the removal of something the run created (a topic, a queue): close the returned
     * registration to remove it; whatever is still registered when the JVM exits (Ctrl-C) is
     * removed then.
     */
    public Cleanups.Registration created(String what, Cleanups.Action remove) {
        return cleanups.register(what, remove);
    }

    /** For the harness' shutdown hook. */
    Cleanups cleanups() {
        return cleanups;
    }

    /** A line of progress on the console, with the time. */
    public void log(String format, Object... args) {
        log.println(LocalTime.now().format(CLOCK) + " " + String.format(Locale.ROOT, format, args));
    }
}
