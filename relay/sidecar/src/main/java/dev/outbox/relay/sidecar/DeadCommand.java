package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.internal.ControlChars;
import dev.outbox.relay.ops.DeadEvent;
import java.util.List;
import java.util.UUID;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code relay dead list|retry|discard}: inspect and re-drive events that exhausted their attempts. */
@Command(name = "dead", mixinStandardHelpOptions = true,
        description = "Dead events: kept, visible and re-drivable. A dead event holds back the later events of its key.",
        subcommands = {DeadCommand.ListDead.class, DeadCommand.Retry.class, DeadCommand.Discard.class})
final class DeadCommand implements Runnable {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing command: list, retry or discard");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists dead events, oldest first.")
    static final class ListDead extends OperatorCommand {
        @Option(names = "--limit", defaultValue = "100", converter = Arguments.PositiveInt.class, description = "At most this many (default ${DEFAULT-VALUE}).")
        private int limit;

        @Option(names = "--json", description = "Print JSON instead of a table.")
        private boolean json;

        ListDead(SidecarContext context) {
            super(context);
        }

        @Override
        protected int run() {
            List<DeadEvent> dead = operations().deadEvents(limit);
            context.out().println(json ? DeadEvent.renderJson(dead) : TextViews.deadEvents(dead));
            return Main.EXIT_OK;
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = "Re-drives dead events: they are delivered again (in order with their key) by the running relays.")
    static final class Retry extends OperatorCommand {
        @ArgGroup(multiplicity = "1")
        private Target target;

        static final class Target {
            @Parameters(paramLabel = "<id>", description = "Id of the dead event.")
            private UUID id;

            @Option(names = "--all", required = true, description = "Every dead event.")
            private boolean all;
        }

        Retry(SidecarContext context) {
            super(context);
        }

        @Override
        protected int run() {
            int count = target.all ? operations().retryAllDead() : operations().retryDead(target.id);
            context.out().println("re-queued " + count + " dead event(s) for delivery");
            return Main.EXIT_OK;
        }
    }

    @Command(name = "discard", mixinStandardHelpOptions = true,
            description = "Deletes a dead event for good; the later events of its key then flow.")
    static final class Discard extends OperatorCommand {
        @Parameters(paramLabel = "<id>", description = "Id of the dead event.")
        private UUID id;

        Discard(SidecarContext context) {
            super(context);
        }

        @Override
        protected int run() {
            DeadEvent discarded = operations().discardDead(id);
            if (discarded == null) {
                throw new OutboxException("event " + id + " was not discarded");
            }
            // Type and key come from the application: printed with their control characters escaped.
            context.out().println("discarded " + discarded.id() + " (" + ControlChars.escape(discarded.type()) + " of "
                    + ControlChars.escape(discarded.aggregateType() + " " + discarded.aggregateId()) + "); "
                    + discarded.heldBack()
                    + " later event(s) of its key are released");
            return Main.EXIT_OK;
        }
    }
}
