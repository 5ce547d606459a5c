package dev.outbox.relay.sidecar;

import dev.outbox.relay.ops.StatusReport;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code relay status}: backlog, oldest undelivered age, dead count, live instances with their
 * slots and state; with {@code --check}, a verdict for scripts and alerting ({@link StatusCheck}).
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows the backlog, the oldest undelivered event's age, dead events and the live relay"
                + " instances with their slots and state (running, or transport paused since …, last error …).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done; with --check: every check passed",
            "1:the status could not be read (database unreachable: message on stderr)",
            "2:invalid command line",
            "3:invalid configuration",
            "4:with --check: a check failed (dead events, the oldest undelivered event older than --max-age,"
                + " or no live relay instance), one line per failed check"})
final class StatusCommand extends OperatorCommand {
    @Option(names = "--json", description = "Print JSON instead of a table.")
    private boolean json;

    @Option(names = "--check", description = "Check instead of showing: exit 4 when events are dead, the oldest"
            + " undelivered event is older than --max-age, or no relay instance is live; exit 0 when all is well.")
    private boolean check;

    @Option(names = "--max-age", defaultValue = "5m", converter = Arguments.PositiveDuration.class,
            description = "With --check: the oldest an undelivered event may be (default ${DEFAULT-VALUE}).")
    private Duration maxAge;

    StatusCommand(SidecarContext context) {
        super(context);
    }

    @Override
    protected int run() {
        StatusReport report = operations().status();
        if (check) {
            StatusCheck verdict = StatusCheck.of(report, maxAge);
            context.out().println(json ? verdict.renderJson() : verdict.renderText());
            return verdict.ok() ? Main.EXIT_OK : Main.EXIT_CHECK_FAILED;
        }
        context.out().println(json ? report.renderJson() : TextViews.status(report));
        return Main.EXIT_OK;
    }
}
