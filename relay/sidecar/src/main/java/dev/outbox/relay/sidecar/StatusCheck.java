package dev.outbox.relay.sidecar;

import dev.outbox.core.internal.JsonFactories;
import dev.outbox.relay.ops.StatusReport;
import dev.outbox.relay.config.Durations;
import jakarta.json.JsonArrayBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The verdict of {@code relay status --check}, for scripts and alerting: which of the checks an
 * operator is paged for fail in a {@link StatusReport}. Kept apart from the report so that what
 * the report shows and what pages someone can change independently.
 *
 * @param report the status the checks ran on
 * @param maxAge the oldest an undelivered event may be
 * @param failures one sentence per failed check; empty when all pass
 */
record StatusCheck(StatusReport report, Duration maxAge, List<String> failures) {

    StatusCheck {
        failures = List.copyOf(failures);
    }

    /** Runs the checks: no dead event, the oldest undelivered event within {@code maxAge}, a live relay. */
    static StatusCheck of(StatusReport report, Duration maxAge) {
        List<String> failures = new ArrayList<>();
        if (report.dead() > 0) {
            failures.add(report.dead() + " dead event(s) hold back their keys: see relay dead list");
        }
        report.oldestUndeliveredAge().filter(age -> age.compareTo(maxAge) > 0).ifPresent(age -> failures.add(
                "the oldest undelivered event is " + Durations.format(age.withNanos(0)) + " old, more than --max-age "
                        + Durations.format(maxAge)));
        if (report.instances().isEmpty()) {
            failures.add("no relay instance is live: no event is being delivered");
        }
        return new StatusCheck(report, maxAge, failures);
    }

    boolean ok() {
        return failures.isEmpty();
    }

    /** {@code OK: …} on one line, or {@code FAILED: …} with one line per failed check. */
    String renderText() {
        if (ok()) {
            return "OK: backlog " + report.backlog() + ", oldest undelivered "
                    + report.oldestUndeliveredAge().map(a -> Durations.format(a.withNanos(0))).orElse("-")
                    + " (max " + Durations.format(maxAge) + "), 0 dead, " + report.instances().size()
                    + " relay instance(s) live";
        }
        StringBuilder text = new StringBuilder("FAILED: ").append(failures.size()).append(" check(s)");
        failures.forEach(f -> text.append(System.lineSeparator()).append("  - ").append(f));
        return text.toString();
    }

    /** {@code {"ok":…,"failures":[…],"status":{…}}}. */
    String renderJson() {
        JsonArrayBuilder list = JsonFactories.arrayBuilder();
        failures.forEach(list::add);
        return JsonFactories.objectBuilder().add("ok", ok()).add("maxAgeSeconds", maxAge.toSeconds())
                .add("failures", list).add("status", report.toJson()).build().toString();
    }
}
