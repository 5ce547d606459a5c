package dev.outbox.relay.sidecar;

import dev.outbox.relay.bench.Bench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relay bench}: the relay's drain rate next to a hand-written SQL loop, in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures the relay's drain rate with a no-op transport next to a hand-written batched"
                + " claim-and-mark SQL loop, on a scratch copy of the event table (needs a role that may create"
                + " a schema; the outbox itself is not touched).")
final class BenchCommand extends OperatorCommand {
    @Option(names = "--events", defaultValue = "200000", converter = Arguments.PositiveInt.class, description = "Events per run (default ${DEFAULT-VALUE}).")
    private int events;

    @Option(names = "--rounds", defaultValue = "3", converter = Arguments.PositiveInt.class, description = "Alternating runs of each; the best counts (default ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(names = "--batch-size", defaultValue = "500", converter = Arguments.PositiveInt.class, description = "Batch size of both (default ${DEFAULT-VALUE}).")
    private int batchSize;

    BenchCommand(SidecarContext context) {
        super(context);
    }

    @Override
    protected int run() {
        Bench.Result result = new Bench(dataSource(), config().relayConfig().schema(), batchSize, context.out())
                .run(events, rounds);
        context.out().print(result.render());
        return Main.EXIT_OK;
    }
}
