package dev.outbox.bench;

import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.spi.OutboxMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The relay against a {@link Target}'s hand-written publisher, and the report's table of such comparisons. */
public final class Targets {
    /** The warm-up runs only warm up (JIT, connections): the relay's stops here, the hand-written one sends a fifth. */
    static final Duration WARM_UP_CAP = Duration.ofSeconds(15);

    private Targets() {
    }

    /**
     * Interleaved rounds of: the relay draining a freshly written backlog of the target's events
     * through its transport (created as the sidecar creates it), and the hand-written publisher
     * sending the same events; each run on a fresh destination, created and deleted untimed and
     * checked afterwards where the broker can tell.
     *
     * @param tag distinguishes this target's destinations, e.g. {@code sqs-fifo}
     */
    public static Comparison compare(BenchContext context, ScratchDatabase db, RelayConfig config, Target t, String tag,
                                     Duration cap) throws Exception {
        EventSpec spec = t.events();
        db.fill(spec);
        List<OutboxMessage> messages = db.messages();
        String prefix = "bench-" + context.runId() + "-" + tag;
        return Rounds.compare(context, t.label() + ", " + spec, "relay", round -> {
            String destination = t.destination(prefix + "-" + round + "-relay");
            t.create(destination);
            Cleanups.Registration delete = context.created(destination, () -> t.delete(destination));
            try {
                db.fill(spec);
                Measurement m = Relays.drain(db.relayDataSource(), Relays.transport(t.transport(),
                        t.transportEnv(destination)), config, spec.count(), round == 0 ? WARM_UP_CAP : cap);
                if (round == 0) {
                    return m; // cut short: events in flight at the cap make the count meaningless
                }
                String note = t.verify(destination, m.events());
                return note.isEmpty() ? m : m.withNote(note);
            } finally {
                delete.run();
            }
        }, "by hand", round -> {
            String destination = t.destination(prefix + "-" + round + "-hand");
            t.create(destination);
            Cleanups.Registration delete = context.created(destination, () -> t.delete(destination));
            try {
                List<OutboxMessage> sent = round == 0 ? messages.subList(0, Math.max(1, messages.size() / 5)) : messages;
                Measurement m = t.byHand(destination, sent);
                String note = t.verify(destination, sent.size());
                return note.isEmpty() ? m : m.withNote(note);
            } finally {
                delete.run();
            }
        });
    }

    /** The results: per target its events, both rates and the ratio; and a bar chart of the ratios. */
    public static void report(Report.Section section, String chartTitle, String plotName, List<? extends Target> targets,
                              List<Comparison> results) {
        Table table = new Table("destination", "events", "relay events/s", "by hand events/s", "relay / by hand");
        BarChart chart = new BarChart(chartTitle, "relay rate / hand rate (median, min-max)")
                .reference(1, "as fast as by hand");
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            Comparison c = results.get(i);
            table.row(t.label(), t.events(), c.rateA().formatRate(), c.rateB().formatRate(), "**" + c.ratio().format(2) + "**");
            chart.bar(t.label().replace(", ", "\n"), "relay / by hand", c.ratio());
        }
        section.text("Medians over " + results.get(0).rounds() + " interleaved rounds, (min–max):");
        section.table(table);
        section.plot(chart, plotName);
        List<String> notes = results.stream().flatMap(c -> c.notes().stream()).toList();
        if (!notes.isEmpty()) {
            section.text("Notes: " + String.join("; ", notes));
        }
        Table how = new Table("destination", "by hand", "transport keys");
        for (Target t : targets) {
            how.row(t.label(), t.handDescription(), "`OUTBOX_TRANSPORT=" + t.transport() + "` " + t.transportEnv("<fresh>")
                    .entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> "`" + e.getKey() + "=" + e.getValue() + "`").collect(Collectors.joining(" ")));
        }
        section.text("**What each side does**");
        section.table(how);
    }
}
