package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.ops.Operations;
import dev.outbox.relay.ops.ReplayRequest;
import dev.outbox.relay.ops.ReplayResult;
import dev.outbox.relay.config.Durations;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * {@code relay replay}: re-sends already published events. They are put back in the queue and
 * the running relays deliver them again, in order per key; the command shows a progress bar
 * until they are all delivered (or only re-queues them with {@code --no-wait}).
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Re-sends published events whose occurred_at lies in [--from, --to), optionally only of one"
                + " type or aggregate type. Running relays deliver them again; this command shows the progress.",
        footer = "%nTimes: 2026-11-26T10:00:00Z, 2026-11-26T11:00:00+01:00 or 2026-11-26 (midnight UTC)."
                + "%nEvents removed by the retention purge (or with OUTBOX_RETENTION=0) cannot be replayed.")
final class ReplayCommand extends OperatorCommand {
    @Option(names = "--from", required = true, converter = TimeConverter.class, description = "Start (inclusive).")
    private Instant from;

    @Option(names = "--to", required = true, converter = TimeConverter.class, description = "End (exclusive).")
    private Instant to;

    @Option(names = "--type", description = "Only events of this type (e.g. OrderPlaced).")
    private String type;

    @Option(names = "--aggregatetype", description = "Only events of this aggregate type (e.g. Order).")
    private String aggregateType;

    @Option(names = "--no-wait", description = "Re-queue and exit, without waiting for the relays.")
    private boolean noWait;

    @Option(names = "--timeout", defaultValue = "10m", converter = Arguments.PositiveDuration.class,
            description = "How long to wait for the relays to deliver the replayed events (default ${DEFAULT-VALUE}).")
    private Duration timeout;

    ReplayCommand(SidecarContext context) {
        super(context);
    }

    @Override
    protected int run() {
        Operations ops = operations();
        ReplayRequest request = new ReplayRequest(from, to, type, aggregateType);
        long total = ops.countReplayable(request);
        if (total == 0) {
            context.out().println("no published events match " + request.describe()
                    + "; purged events (retention) cannot be replayed");
            return Main.EXIT_OK;
        }
        context.out().println("re-queuing " + total + " event(s): " + request.describe());
        ProgressBar requeue = new ProgressBar(context.err(), total);
        ReplayResult result = ops.replay(request, requeue);
        requeue.finish();
        if (noWait) {
            context.out().println(TextViews.replay(result));
            return Main.EXIT_OK;
        }
        context.out().println("waiting for the relays to deliver them again");
        ProgressBar delivery = new ProgressBar(context.err(), result.requeued());
        long deadline = System.nanoTime() + timeout.toNanos();
        long pending;
        while ((pending = ops.replayPending(result)) > 0) {
            delivery.accept(result.requeued() - pending);
            if (System.nanoTime() - deadline > 0) {
                delivery.finish();
                throw new OutboxException(pending + " replayed event(s) not delivered after " + Durations.format(timeout)
                        + ": is a relay running (relay status)? They stay queued and will be delivered.");
            }
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
        delivery.accept(result.requeued());
        delivery.finish();
        context.out().println("replayed " + result.requeued() + " event(s)");
        return Main.EXIT_OK;
    }

    /** Accepts an instant, a date-time with offset, or a date (midnight UTC). */
    static final class TimeConverter implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return OffsetDateTime.parse(value).toInstant();
            } catch (DateTimeParseException notDateTime) {
                try {
                    return LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC);
                } catch (DateTimeParseException e) {
                    throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a time such as"
                            + " 2026-11-26T10:00:00Z, 2026-11-26T11:00:00+01:00 or 2026-11-26");
                }
            }
        }
    }
}
