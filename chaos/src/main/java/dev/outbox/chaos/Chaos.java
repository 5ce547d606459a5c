package dev.outbox.chaos;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Entry point of the fault-injection suite; {@code scripts/chaos} builds and runs it.
 *
 * <pre>
 * scripts/chaos [--short] [--only name,name] [--list]
 * </pre>
 *
 * Runs the scenarios of {@link Scenarios} one after another against private instances of
 * PostgreSQL and the brokers, prints one table, and exits 1 if any event was lost or reordered
 * (or a scenario could not run), 0 otherwise. Missed targets (duplicates over one batch per
 * fault, recovery over 2 s) are marked with "!" but do not fail the run.
 */
public final class Chaos {
    private Chaos() {
    }

    public static void main(String[] args) {
        List<String> only = new ArrayList<>();
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--short" -> quick = true;
                case "--only" -> {
                    if (i + 1 >= args.length) {
                        usage("--only needs a comma-separated list of scenario names");
                    }
                    only.addAll(Arrays.asList(args[++i].split(",")));
                }
                case "--list" -> {
                    Scenarios.ALL.forEach(s -> System.out.printf("%-16s %s%s%n", s.name(), s.fault(), s.quick() ? "  [short]" : ""));
                    return;
                }
                default -> usage("unknown argument " + args[i]);
            }
        }
        for (String name : only) {
            if (Scenarios.ALL.stream().noneMatch(s -> s.name().equals(name))) {
                usage("unknown scenario " + name + " (scripts/chaos --list shows them)");
            }
        }
        Settings settings = quick ? Settings.quick(only) : Settings.full(only);
        Path root = Path.of(System.getProperty("chaos.root", ".")).toAbsolutePath().normalize();
        Path work = Path.of(System.getProperty("chaos.work", "/tmp/outbox-chaos"));
        List<Row> rows = new ArrayList<>();
        long started = System.currentTimeMillis();
        System.out.printf("chaos: %s mode, %d events per scenario (%d keys x %d rounds, a round every %d ms), work dir %s%n",
                quick ? "short" : "full", settings.events(), settings.keys(), settings.rounds(), settings.roundMillis(), work);
        try (Lab lab = new Lab(root, work, settings)) {
            Runtime.getRuntime().addShutdownHook(new Thread(lab::close)); // Ctrl-C: stop the private services too
            for (Scenarios.Scenario scenario : Scenarios.selected(settings)) {
                System.out.printf("chaos: %-16s %s ...%n", scenario.name(), scenario.fault());
                long t0 = System.currentTimeMillis();
                Row row;
                try {
                    row = scenario.body().run(lab);
                } catch (Exception | Error e) {
                    e.printStackTrace();
                    row = Row.failed(scenario.name(), "-", e.toString());
                }
                rows.add(row);
                System.out.printf("chaos: %-16s %s (%.0f s)%n", scenario.name(), row.fails() ? "FAILED" : "ok",
                        (System.currentTimeMillis() - t0) / 1000.0);
            }
        }
        System.out.println();
        System.out.print(table(rows));
        System.out.printf("%nchaos: %d scenarios in %.0f s, %s; logs in %s/logs (removed by scripts/chaos unless CHAOS_KEEP=1)%n",
                rows.size(), (System.currentTimeMillis() - started) / 1000.0, Instant.now(), work);
        boolean failed = rows.stream().anyMatch(Row::fails);
        System.out.println(failed ? "chaos: FAILED (events lost or reordered, or a scenario broke)" : "chaos: ok");
        System.exit(failed ? 1 : 0);
    }

    private static void usage(String problem) {
        System.err.println("chaos: " + problem + "\nusage: scripts/chaos [--short] [--only name,name] [--list]");
        System.exit(2);
    }

    /** The table in Markdown, so that it can go into the README as printed. */
    static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder();
        out.append("| scenario | broker | faults | sent | lost | duplicates (target) | order violations | resume | recovery (backlog) | notes |\n");
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Row r : rows) {
            if (r.counts() == null) {
                out.append(String.format("| %s | %s | | | | | | | | **could not run**: %s |%n", r.scenario(), r.broker(),
                        r.error().replace('|', '/').replace('\n', ' ')));
                continue;
            }
            Tally.Counts c = r.counts();
            out.append(String.format(Locale.ROOT, "| %s | %s | %d | %,d | %s | %s | %s | %s | %s | %s |%n",
                    r.scenario(), r.broker(), r.faults(), c.sent(),
                    c.lost() > 0 ? "**" + c.lost() + "**" : "0",
                    String.format(Locale.ROOT, "%,d (≤ %,d)%s", c.duplicates(), r.duplicateLimit(), r.duplicatesOverTarget() ? " !" : ""),
                    c.orderViolations() > 0 ? "**" + c.orderViolations() + "**" : "0",
                    seconds(c.resumeMillis()), c.recoveryMillis() == null ? "–"
                            : String.format(Locale.ROOT, "%.2f s (%,d)%s", c.recoveryMillis() / 1000.0, c.backlog(),
                                    r.recoveryOverTarget() ? " !" : ""),
                    String.join("; ", r.notes()) + (r.integrityFailed() ? " **FAILED**" : "")));
        }
        return out.toString();
    }

    private static String seconds(Long millis) {
        return millis == null ? "–" : String.format(Locale.ROOT, "%.2f s", millis / 1000.0);
    }
}
