package dev.outbox.relay.sidecar;

import dev.outbox.relay.spi.Durations;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relay purge}: deletes published events older than the retention now, in small batches. */
@Command(name = "purge", mixinStandardHelpOptions = true,
        description = "Deletes published events older than the retention (OUTBOX_RETENTION, or --older-than),"
                + " in small batches. Undelivered and dead events are never purged.")
final class PurgeCommand extends OperatorCommand {
    @Option(names = "--older-than", description = "Age, e.g. 7d or 12h (default: OUTBOX_RETENTION).")
    private String olderThan;

    @Option(names = "--batch-size", defaultValue = "1000", description = "Rows per statement (default ${DEFAULT-VALUE}).")
    private int batchSize;

    PurgeCommand(SidecarContext context) {
        super(context);
    }

    @Override
    protected int run() {
        Duration age = olderThan == null ? config().relayConfig().retention() : Durations.parse("--older-than", olderThan);
        long deleted = operations().purgePublished(age, batchSize);
        context.out().println("purged " + deleted + " published event(s) older than " + age);
        return Main.EXIT_OK;
    }
}
