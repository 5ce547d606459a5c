package dev.outbox.relay.sidecar;

import dev.outbox.relay.ops.StatusReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code relay status}: backlog, oldest undelivered age, dead count, live instances with their slots and state. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the backlog, the oldest undelivered event's age, dead events and the live relay"
                + " instances with their slots and state (running, or transport paused since …, last error …).")
final class StatusCommand extends OperatorCommand {
    @Option(names = "--json", description = "Print JSON instead of a table.")
    private boolean json;

    StatusCommand(SidecarContext context) {
        super(context);
    }

    @Override
    protected int run() {
        StatusReport report = operations().status();
        context.out().println(json ? report.renderJson() : report.renderText());
        return Main.EXIT_OK;
    }
}
