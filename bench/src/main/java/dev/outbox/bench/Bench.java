package dev.outbox.bench;

import dev.outbox.bench.brokers.BrokersScenario;
import dev.outbox.bench.cloud.CloudScenario;
import dev.outbox.bench.drain.DrainScenario;
import dev.outbox.bench.kafka.KafkaScenario;
import dev.outbox.bench.latency.LatencyScenario;
import dev.outbox.bench.writer.WriterScenario;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * {@code scripts/bench [scenario…] [--rounds N] [--quick] [--list]}: runs the chosen scenarios
 * (all without names) and writes {@code REPORT.md} with its plots. Exit 0 when every scenario ran,
 * 1 when one failed (the report says which and why), 2 for a bad command line.
 *
 * <p>System properties: {@code bench.report.dir} (default {@code bench/target/report}),
 * {@code outbox.sql.dir} (default: {@code sql/} found above the working directory).
 */
public final class Bench {
    /** The built-in scenarios, in the order "all" runs them. */
    public static final List<Scenario> SCENARIOS = List.of(new CloudScenario(), new KafkaScenario(),
            new DrainScenario(), new BrokersScenario(), new LatencyScenario(), new WriterScenario());

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;

    private Bench() {
    }

    /** Held so that the level stays set: loggers are weakly referenced. */
    private static final java.util.logging.Logger RELAY_LOG = java.util.logging.Logger.getLogger("dev.outbox.relay");

    public static void main(String[] args) {
        // The relays start and stop dozens of times: their INFO lines would bury the progress.
        RELAY_LOG.setLevel(java.util.logging.Level.WARNING);
        Path reportDir = Path.of(System.getProperty("bench.report.dir", "bench/target/report"));
        System.exit(run(args, System.out, System.getenv(), reportDir, sqlDirectory()));
    }

    /** Every scenario: the built-in ones, then those registered with {@link ServiceLoader}. */
    public static Map<String, Scenario> scenarios() {
        Map<String, Scenario> all = new LinkedHashMap<>();
        SCENARIOS.forEach(s -> all.put(s.name(), s));
        for (Scenario s : ServiceLoader.load(Scenario.class)) {
            all.putIfAbsent(s.name(), s);
        }
        return all;
    }

    /**
     * Runs {@code scripts/bench} with these arguments.
     *
     * @param env where the services are ({@code OUTBOX_TEST_*}, see {@link Services})
     * @param reportDir where {@code REPORT.md} and the plots go
     * @param sqlDir the project's {@code sql/}
     * @return the exit code
     */
    public static int run(String[] args, PrintStream out, Map<String, String> env, Path reportDir, Path sqlDir) {
        Map<String, Scenario> known = scenarios();
        List<Scenario> chosen = new ArrayList<>();
        Integer rounds = null;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> quick = true;
                case "--list" -> {
                    known.values().forEach(s -> out.printf("%-10s %s%n", s.name(), s.description()));
                    return EXIT_OK;
                }
                case "--rounds" -> {
                    if (i + 1 >= args.length || !args[i + 1].matches("[1-9]\\d{0,2}")) {
                        out.println("--rounds needs a number from 1 to 999 (was " + (i + 1 < args.length ? args[i + 1] : "nothing") + ")");
                        return EXIT_USAGE;
                    }
                    rounds = Integer.parseInt(args[++i]);
                }
                case "-h", "--help" -> {
                    out.println("usage: scripts/bench [scenario…] [--rounds N] [--quick] [--list]");
                    known.values().forEach(s -> out.printf("  %-10s %s%n", s.name(), s.description()));
                    return EXIT_OK;
                }
                default -> {
                    Scenario s = known.get(a);
                    if (s == null) {
                        out.println("unknown scenario or option " + a + " (scenarios: " + String.join(", ", known.keySet())
                                + "; options: --rounds N, --quick, --list)");
                        return EXIT_USAGE;
                    }
                    if (!chosen.contains(s)) {
                        chosen.add(s);
                    }
                }
            }
        }
        if (chosen.isEmpty()) {
            chosen.addAll(known.values());
        }
        int n = rounds != null ? rounds : quick ? 1 : 3;
        Report report = new Report(reportDir, "outbox benchmark report");
        BenchContext context = new BenchContext(n, quick, Services.fromEnvironment(env), report, sqlDir, out);
        Thread cleanUp = new Thread(context.cleanups()::runPending, "bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanUp);

        String started = OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        String loadAtStart = Machine.loadAverage();
        List<String> names = chosen.stream().map(Scenario::name).toList();
        String command = "scripts/bench " + String.join(" ", args);
        String postgres = postgres(context.services());
        report.preamble(preamble(command.strip(), started, loadAtStart, "(running)", n, quick, postgres));
        report.write();
        context.log("report: %s; scenarios %s; %d round(s)%s", report.file(), names, n, quick ? ", quick" : "");

        List<String> failed = new ArrayList<>();
        for (Scenario s : chosen) {
            long t0 = System.nanoTime();
            context.log("== %s: %s", s.name(), s.description());
            try {
                s.run(context);
                context.log("== %s done in %.0f s", s.name(), (System.nanoTime() - t0) / 1e9);
            } catch (Exception | Error e) {
                failed.add(s.name());
                context.log("== %s FAILED: %s", s.name(), e);
                e.printStackTrace(out);
                report.section(s.name() + ": failed").text("The scenario failed: `" + e + "`. Nothing of it is measured.");
            }
            report.write();
        }
        report.preamble(preamble(command.strip(), started, loadAtStart, Machine.loadAverage(), n, quick, postgres));
        report.write();
        context.cleanups().runPending(); // normally nothing: each scenario removed its own
        Runtime.getRuntime().removeShutdownHook(cleanUp);
        context.log("report written: %s%s", report.file().toAbsolutePath(),
                failed.isEmpty() ? "" : "; FAILED: " + failed);
        return failed.isEmpty() ? EXIT_OK : EXIT_FAILED;
    }

    /** PostgreSQL's version and address, for the report. */
    private static String postgres(Services services) {
        String at = ScratchDatabase.hostPort(services.jdbcUrl());
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(services.jdbcUrl());
             java.sql.Statement s = c.createStatement(); java.sql.ResultSet r = s.executeQuery("SHOW server_version")) {
            r.next();
            return r.getString(1) + " at " + at;
        } catch (java.sql.SQLException e) {
            return "not reachable at " + at + " (" + e.getMessage() + ")";
        }
    }

    private static String preamble(String command, String started, String loadStart, String loadEnd, int rounds,
                                   boolean quick, String postgres) {
        Table machine = new Table("", "");
        machine.row("command", "`" + command + "`");
        machine.row("started", started);
        Machine.describe().forEach(machine::row);
        machine.row("PostgreSQL", postgres);
        machine.row("load average (1, 5, 15 min) at start", loadStart);
        machine.row("load average (1, 5, 15 min) at end", loadEnd);
        machine.row("rounds", rounds + (quick ? " (--quick: small counts, no warm-up; not for quoting)" : ""));
        return """
                Every figure compares two things measured in the same run on the same machine: the relay \
                (or the writer) and a reference doing the same work, in interleaved rounds (A B, then B A, \
                then A B …) after an unreported warm-up run of each. Per round the ratio A / B is taken; \
                the report gives its median over the rounds and, in parentheses, the minimum and maximum. \
                Absolute rates are shown for orientation only: the machine is shared (other processes \
                ran beside the benchmark, see the load averages) and they move with it; the ratios move \
                much less. Throughput against an emulator (moto, the Pub/Sub emulator) says nothing \
                about AWS or Google Cloud: it only shows what the relay adds over the same client.

                """ + machine.markdown();
    }

    /** {@code outbox.sql.dir}, or the {@code sql/} directory above the working directory. */
    static Path sqlDirectory() {
        String configured = System.getProperty("outbox.sql.dir");
        if (configured != null) {
            return Path.of(configured);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("sql/V1__outbox_event.sql"))) {
                return dir.resolve("sql");
            }
        }
        throw new IllegalStateException("cannot find the project's sql/ directory: run from the project root or set"
                + " -Doutbox.sql.dir");
    }
}
