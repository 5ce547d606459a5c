package dev.outbox.relay.sidecar;

import dev.outbox.relay.internal.EventStore;
import dev.outbox.relay.ops.DeadEvent;
import dev.outbox.relay.ops.ReplayResult;
import dev.outbox.relay.ops.StatusReport;
import dev.outbox.relay.ops.StatusReport.RelayInstance;
import java.util.List;

/**
 * The operator commands' views for a terminal: the results of {@link dev.outbox.relay.ops.Operations}
 * as aligned text. Values from outside (keys, types, errors, instance names) are printed with their
 * control characters escaped ({@link Text}); scripts use the values' {@code renderJson} instead.
 */
final class TextViews {
    private TextViews() {
    }

    /** {@code relay status}: counts, ages, the live instances with their slots and state; ends with a newline. */
    static String status(StatusReport report) {
        StringBuilder b = new StringBuilder();
        b.append("Outbox \"").append(report.schema()).append("\" at ").append(Text.instant(report.at()))
                .append('\n').append('\n');
        Text.Table counts = new Text.Table("", ">", "");
        counts.row("Undelivered (backlog)", Text.number(report.backlog()), "");
        counts.row("Oldest undelivered", report.oldestUndeliveredAge().map(Text::age).orElse("-"),
                report.oldestUndeliveredAt() == null ? "" : "since " + Text.instant(report.oldestUndeliveredAt()));
        counts.row("Waiting for retry", Text.number(report.retrying()), "");
        counts.row("Dead", Text.number(report.dead()), report.dead() > 0 ? "see: relay dead list" : "");
        counts.row("Published (retained)", Text.number(report.published()), "");
        // The table's header row is blank here; drop it.
        String rendered = counts.render("  ");
        b.append(rendered.substring(rendered.indexOf('\n') + 1)).append('\n');

        List<RelayInstance> instances = report.instances();
        b.append("Relay instances: ").append(instances.size()).append(", owning ").append(report.ownedSlotCount())
                .append(" of ").append(EventStore.SLOTS).append(" slots\n");
        if (instances.isEmpty()) {
            b.append("  none running: no event is being delivered\n");
        } else {
            Text.Table table = new Text.Table("INSTANCE", "PID>", "CONNECTED SINCE", "CLIENT", "SLOTS>", "OWNED SLOTS",
                    "STATE");
            for (RelayInstance i : instances) {
                table.row(i.name(), String.valueOf(i.pid()), Text.instant(i.connectedSince()),
                        i.clientAddress() == null ? "-" : i.clientAddress(), String.valueOf(i.slots().size()),
                        Text.ranges(i.slots()), i.describeState());
            }
            b.append(table.render("  "));
        }
        List<Integer> unowned = report.unownedSlots();
        b.append("Unowned slots: ").append(unowned.isEmpty() ? "none" : Text.ranges(unowned));
        if (!unowned.isEmpty() && !instances.isEmpty()) {
            b.append(" (taken by the instances within their rebalance interval)");
        }
        b.append('\n');
        return b.toString();
    }

    /**
     * {@code relay dead list}: one row per dead event, errors shortened to one line (the exact text
     * is in {@link DeadEvent#renderJson(List)}); ends with a newline.
     */
    static String deadEvents(List<DeadEvent> events) {
        if (events.isEmpty()) {
            return "No dead events.\n";
        }
        Text.Table t = new Text.Table("DEAD SINCE", "ID", "SEQ>", "KEY", "TYPE", "ATTEMPTS>", "HELD BACK>", "LAST ERROR");
        for (DeadEvent e : events) {
            t.row(Text.instant(e.deadAt()), e.id().toString(), String.valueOf(e.seq()),
                    Text.shortened(e.aggregateType() + "/" + e.aggregateId(), 40), Text.shortened(e.type(), 30),
                    String.valueOf(e.attempts()), Text.number(e.heldBack()), Text.oneLine(e.lastError(), 80));
        }
        return t.render("");
    }

    /** {@code relay replay}: one line on what was re-queued, explaining why nothing matched when nothing did. */
    static String replay(ReplayResult result) {
        if (result.requeued() == 0) {
            return "No published " + result.request().describe() + " is retained, so nothing was re-queued."
                    + " Only published events still in the table can be replayed: with relay.retention=0 they are"
                    + " deleted on publish, otherwise purged once older than the retention; undelivered and dead"
                    + " events are never replayed (see relay status / relay dead list).";
        }
        return "Re-queued " + Text.number(result.requeued()) + " published " + result.request().describe()
                + "; running relays deliver them again, in order per key.";
    }
}
