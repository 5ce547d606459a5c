package dev.outbox.relay.sidecar;

import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relay purge}: deletes published events older than the retention now, in small batches. */
@Command(name = "purge", mixinStandardHelpOptions = true,
        description = "Deletes published events older than the retention (OUTBOX_RETENTION, or --older-than),"
                + " in small batches. Undelivered and dead events are never purged.")
final class PurgeCommand extends OperatorCommand {
    @Option(names = "--older-than", converter = Arguments.Age.class,
            description = "Age, e.g. 7d or 12h (default: OUTBOX_RETENTION).")
    private Duration olderThan;

    @Option(names = "--batch-size", defaultValue = "1000", converter = Arguments.PositiveInt.class, description = "Rows per statement (default ${DEFAULT-VALUE}).")
    private int batchSize;

    PurgeCommand(SidecarContext context) {
        super(context);
    }

    @Override
    protected int run() {
        Duration age = olderThan == null ? config().relayConfig().retention() : olderThan;
        long deleted = operations().purgePublished(age, batchSize);
        context.out().println("purged " + deleted + " published event(s) older than " + age);
        return Main.EXIT_OK;
    }
}
