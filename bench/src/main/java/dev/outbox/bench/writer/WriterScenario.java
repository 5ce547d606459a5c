package dev.outbox.bench.writer;

import dev.outbox.bench.BenchContext;
import dev.outbox.bench.Report;
import dev.outbox.bench.Scenario;
import dev.outbox.bench.Table;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@link WriterBench} as a scenario of {@code scripts/bench}: the writer's transaction against a
 * hand-written INSERT and gruelbox transaction-outbox's {@code schedule()}, 4 threads, in the
 * harness's rounds; its lines go to the harness's log and its figures to the report.
 */
public final class WriterScenario implements Scenario {
    private static final int THREADS = 4;

    @Override
    public String name() {
        return "writer";
    }

    @Override
    public String description() {
        return "tx{business row + Outbox.append} vs tx{business row + hand-written INSERT} vs gruelbox's schedule(),"
                + " 4 threads";
    }

    @Override
    public void run(BenchContext context) throws Exception {
        WriterBench.Options options = new WriterBench.Options(context.services().jdbcUrl(), context.sqlDirectory(),
                THREADS, context.rounds(), context.quick() ? 2 : 10, context.quick() ? 0 : 5);
        WriterBenchResult result = new WriterBench(options, logLines(context)).run();
        report(context, options, result);
    }

    /** A stream whose every line becomes a line of the harness's log. */
    private static PrintStream logLines(BenchContext context) {
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    context.log("  %s", line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }, true, StandardCharsets.UTF_8);
    }

    private static void report(BenchContext context, WriterBench.Options options, WriterBenchResult result) {
        Report.Section section = context.report().section("writer: the outbox writer vs a hand-written INSERT and gruelbox");
        section.text(String.format(Locale.ROOT, """
                %d threads each commit transactions of one business row (`INSERT INTO orders`) and one event: a \
                %,d-byte JSON payload and a `traceparent` header. **writer**: `OutboxEvent.builder(…).payload(String)\
                .traceparent(…).build()` and `Outbox.append`, which validates the event as the schema's rules do; \
                **hand**: a hand-written `INSERT INTO outbox.event (…) VALUES (…)` of the same columns and values, \
                no validation; **gruelbox**: transaction-outbox 4.2.268's `schedule(…).publish(…)` of the same \
                values into its own table (its submitter does nothing, so only the write is measured). %d \
                interleaved rounds of %.0f s (the order rotates each round), each after emptying the tables and a \
                CHECKPOINT. Transactions per second move with the machine's load; the CPU time per transaction \
                (the writer threads', and the server backends' from `/proc` when the server is local) much less.""",
                options.threads(), result.payloadBytes(), result.rounds(), options.seconds()));
        Table table = new Table("variant", "transactions/s", "client CPU µs/tx", "server CPU µs/tx", "events");
        for (String variant : WriterBench.VARIANTS) {
            WriterBenchResult.Stats server = result.serverCpu(variant);
            table.row(variant, result.tps(variant).format("%,.0f"), result.clientCpu(variant).format("%.1f"),
                    Double.isNaN(server.median()) ? "not readable" : server.format("%.1f"),
                    String.format(Locale.ROOT, "%,d", result.events(variant)));
        }
        section.text("Medians over " + result.rounds() + " rounds, (min–max):");
        section.table(table);
        Table ratios = new Table("ratio", "transactions/s", "CPU per transaction (the other's ÷ the writer's)", "goal");
        ratios.row("writer ÷ hand", "**" + result.writerVsHand().format("%.2f") + "**",
                result.cpuRatio(WriterBench.WRITER, WriterBench.HAND).format("%.2f"), "≥ 0.95");
        ratios.row("writer ÷ gruelbox", "**" + result.writerVsGruelbox().format("%.2f") + "**",
                result.cpuRatio(WriterBench.WRITER, WriterBench.GRUELBOX).format("%.2f"), "≥ 1.0");
        section.table(ratios);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("threads", String.valueOf(options.threads()));
        settings.put("pool", "HikariCP, " + options.threads() + " connections, auto-commit off");
        settings.put("gruelbox", "transaction-outbox-core 4.2.268, `Dialect.POSTGRESQL_9`, "
                + "`ThreadLocalContextTransactionManager` on the same pool");
        section.settings("Settings and versions", settings);
    }
}
