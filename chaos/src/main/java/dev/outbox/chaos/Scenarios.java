package dev.outbox.chaos;

import dev.outbox.testing.StallingProxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The scenarios, one method each, and the table that names them. Every scenario runs the same
 * workload (Settings: keys x rounds, paced) into its own database and route, injects its faults
 * while the workload is still writing (mid-drain), and ends with {@link Run#finish}.
 */
final class Scenarios {
    /** A named scenario; {@code quick} ones also run in {@code --short} mode. */
    record Scenario(String name, boolean quick, String fault, Body body) {
    }

    @FunctionalInterface
    interface Body {
        Row run(Lab lab) throws Exception;
    }

    static final List<Scenario> ALL = List.of(
            new Scenario("relay-kill", true, "kill -9 of the only relay x3 mid-drain, restarted at once", Scenarios::relayKill),
            new Scenario("three-relays", true, "three relays, one killed with kill -9 (not restarted)", Scenarios::threeRelays),
            new Scenario("pg-terminate", true, "pg_terminate_backend of every relay session x3", Scenarios::pgTerminate),
            new Scenario("pg-restart", true, "PostgreSQL immediate restart (pg_ctl -m immediate)", Scenarios::pgRestart),
            new Scenario("sigterm", true, "SIGTERM of the relay x2 mid-drain, restarted", Scenarios::sigterm),
            new Scenario("late-commit", true, "3 transactions hold low seqs open while later events flow", Scenarios::lateCommit),
            new Scenario("poison-webhook", true, "webhook receiver answers 500 to every event of one key", Scenarios::poisonWebhook),
            new Scenario("redis-crash", true, "kill -9 of redis-server (AOF always), restarted after 2 s", lab -> brokerCrash(lab, lab.redis())),
            new Scenario("nats-crash", false, "kill -9 of nats-server (JetStream), restarted after 2 s", lab -> brokerCrash(lab, lab.nats())),
            new Scenario("kafka-crash", false, "kill -9 of the Kafka broker, restarted after 2 s", lab -> brokerCrash(lab, lab.kafka())),
            new Scenario("rabbitmq-crash", false, "kill -9 of the RabbitMQ node, restarted after 2 s", lab -> brokerCrash(lab, lab.rabbit())),
            new Scenario("redis-stall", true, "TCP proxy in front of Redis stops forwarding (30 s; 3 s in --short), SIGTERM of the relay halfway", Scenarios::redisStall));

    private Scenarios() {
    }

    static List<Scenario> selected(Settings settings) {
        List<Scenario> out = new ArrayList<>();
        for (Scenario s : ALL) {
            if (settings.only().isEmpty() ? (!settings.shortMode() || s.quick()) : settings.only().contains(s.name())) {
                out.add(s);
            }
        }
        return out;
    }

    /** The round at {@code fraction} of the workload: where a fault is injected. */
    private static int at(Lab lab, double fraction) {
        return Math.max(1, (int) (lab.settings.rounds() * fraction));
    }

    static Row relayKill(Lab lab) throws Exception {
        try (Run run = Run.begin(lab, "relay-kill", lab.redis())) {
            run.startRelay();
            run.workload.start();
            for (double f : new double[] {0.25, 0.5, 0.75}) {
                run.awaitMidDrain(at(lab, f));
                long start = System.currentTimeMillis();
                run.relay().kill9();
                run.startRelay();
                run.fault("kill -9", start, System.currentTimeMillis());
            }
            return run.finish(Set.of(), false);
        }
    }

    static Row threeRelays(Lab lab) throws Exception {
        try (Run run = Run.begin(lab, "three-relays", lab.redis())) {
            List<Proc> relays = List.of(run.startRelay(), run.startRelay(), run.startRelay());
            run.workload.start();
            run.awaitMidDrain(at(lab, 0.5));
            // Kill a relay that owns slots while the others own theirs: once all three share them.
            Await.until("the three relays to share the slots", 120_000, () -> relays.stream()
                    .allMatch(r -> slotsOf(lab, run, r) > 0));
            Proc victim = relays.stream().max(java.util.Comparator.comparingLong(r -> slotsOf(lab, run, r))).orElseThrow();
            List<String> slots = relays.stream().map(r -> r.name() + "=" + slotsOf(lab, run, r)).toList();
            long start = System.currentTimeMillis();
            victim.kill9();
            run.fault("kill -9 of 1 of 3", start, System.currentTimeMillis());
            run.notes.add("slots before the kill: " + String.join(", ", slots) + "; killed " + victim.name());
            return run.finish(Set.of(), false);
        }
    }

    /** Slots a relay owns now: its session's advisory locks minus the membership lock. */
    private static long slotsOf(Lab lab, Run run, Proc relay) {
        try {
            return Math.max(0, lab.postgres().advisoryLocks(run.database).getOrDefault("outbox-relay:" + relay.name(), 0L) - 1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static Row pgTerminate(Lab lab) throws Exception {
        try (Run run = Run.begin(lab, "pg-terminate", lab.redis())) {
            run.startRelay();
            run.workload.start();
            List<String> terminated = new ArrayList<>();
            for (double f : new double[] {0.25, 0.5, 0.75}) {
                run.awaitMidDrain(at(lab, f));
                long start = System.currentTimeMillis();
                int sessions = lab.postgres().terminateRelaySessions(run.database);
                run.fault("pg_terminate_backend x" + sessions, start, System.currentTimeMillis());
                terminated.add(String.valueOf(sessions));
            }
            run.notes.add("relay sessions terminated: " + String.join(", ", terminated));
            return run.finish(Set.of(), false);
        }
    }

    static Row pgRestart(Lab lab) throws Exception {
        try (Run run = Run.begin(lab, "pg-restart", lab.redis())) {
            run.startRelay();
            run.workload.start();
            run.awaitMidDrain(at(lab, 0.4));
            long start = System.currentTimeMillis();
            lab.postgres().restartImmediate();
            long end = System.currentTimeMillis();
            run.fault("pg_ctl restart -m immediate", start, end);
            run.notes.add(String.format("database down %.1f s", (end - start) / 1000.0));
            return run.finish(Set.of(), false);
        }
    }

    static Row sigterm(Lab lab) throws Exception {
        try (Run run = Run.begin(lab, "sigterm", lab.redis())) {
            run.startRelay();
            run.workload.start();
            List<String> exits = new ArrayList<>();
            for (double f : new double[] {0.33, 0.66}) {
                run.awaitMidDrain(at(lab, f));
                long start = System.currentTimeMillis();
                Proc relay = run.relay();
                relay.term();
                int code = relay.waitFor(Run.SHUTDOWN_TIMEOUT.plusSeconds(10));
                long took = System.currentTimeMillis() - start;
                boolean ok = code == 0 && took <= Run.SHUTDOWN_TIMEOUT.toMillis();
                exits.add((code == -1 ? "still running" : "exit " + code) + String.format(" in %.1f s", took / 1000.0)
                        + (ok ? "" : " (!)"));
                relay.close();
                run.startRelay();
                run.fault("SIGTERM", start, System.currentTimeMillis());
            }
            run.notes.add("SIGTERM: " + String.join(", ", exits) + " (target: exit 0 within " + Run.SHUTDOWN_TIMEOUT.toSeconds() + " s)");
            return run.finish(Set.of(), false);
        }
    }

    static Row lateCommit(Lab lab) throws Exception {
        try (Run run = Run.begin(lab, "late-commit", lab.redis())) {
            run.startRelay();
            run.workload.start();
            List<Workload.LateTransaction> open = new ArrayList<>();
            List<Long> opened = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                run.awaitMidDrain(at(lab, 0.1 * i));
                opened.add(System.currentTimeMillis());
                open.add(run.workload.holdOpen("late" + i, 100));
            }
            // Each commits once the relay has published a round (1,000 events) with higher seqs
            // than its own: the situation a "seq > last seen" cursor gets wrong.
            List<String> overtaken = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Workload.LateTransaction late = open.get(i);
                Await.until("the relay to publish events written after late transaction " + (i + 1), 120_000, () -> {
                    try {
                        return late.overtakenBy() >= lab.settings.keys();
                    } catch (java.sql.SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                overtaken.add(String.valueOf(late.overtakenBy()));
                long committed = late.commit();
                run.fault("late commit", opened.get(i), committed);
            }
            run.notes.add("3 x 100 late events, held open " + String.join(", ", held(run))
                    + "; events with a higher seq already published when each committed: " + String.join(", ", overtaken));
            return run.finish(Set.of(), false);
        }
    }

    private static List<String> held(Run run) {
        return run.faults().stream().map(f -> String.format("%.1f s", (f.endMillis() - f.startMillis()) / 1000.0)).toList();
    }

    static Row poisonWebhook(Lab lab) throws Exception {
        String poison = "k7";
        try (WebhookReceiver receiver = WebhookReceiver.start();
                Run run = Run.begin(lab, "poison-webhook", receiver)) {
            receiver.refuse(poison);
            run.relaySetting("OUTBOX_MAX_ATTEMPTS", "3").relaySetting("OUTBOX_BACKOFF_BASE", "100ms")
                    .relaySetting("OUTBOX_BACKOFF_CAP", "1s");
            run.startRelay();
            run.workload.start();
            run.workload.awaitDone();
            Await.until("the poison key's first event to go dead", 120_000, () -> {
                try {
                    return run.query("SELECT count(*) FROM outbox.event WHERE aggregatetype = ? AND dead_at IS NOT NULL "
                            + "AND aggregateid = ANY (?)", Set.of(poison)) > 0;
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Row row = run.finish(Set.of(poison), false);
            long dead = run.query("SELECT count(*) FROM outbox.event WHERE aggregatetype = ? AND dead_at IS NOT NULL "
                    + "AND aggregateid = ANY (?)", Set.of(poison));
            long held = run.query("SELECT count(*) FROM outbox.event WHERE aggregatetype = ? AND dead_at IS NULL "
                    + "AND published_at IS NULL AND aggregateid = ANY (?)", Set.of(poison));
            long rows = run.query("SELECT count(*) FROM outbox.event WHERE aggregatetype = ? AND aggregateid = ANY (?)",
                    Set.of(poison));
            boolean ok = dead == 1 && held == rows - 1 && rows == lab.settings.rounds();
            List<String> notes = new ArrayList<>(row.notes());
            notes.add(0, "key " + poison + ": " + receiver.refusals.get() + " refusals, " + dead + " dead, " + held
                    + " held back, " + rows + " of " + lab.settings.rounds() + " in the outbox" + (ok ? "" : " (!)"));
            return new Row(row.scenario(), row.broker(), row.faults(), row.counts(), row.duplicateLimit(), notes,
                    !ok, null);
        }
    }

    static Row brokerCrash(Lab lab, Broker broker) throws Exception {
        try (Run run = Run.begin(lab, broker.name() + "-crash", broker)) {
            run.startRelay();
            run.workload.start();
            run.awaitMidDrain(at(lab, 0.4));
            long start = System.currentTimeMillis();
            broker.crash();
            Await.pause(2000);
            broker.restart();
            long end = System.currentTimeMillis();
            run.fault("kill -9 of " + broker.name(), start, end);
            run.notes.add(String.format("broker down %.1f s", (end - start) / 1000.0));
            return run.finish(Set.of(), false);
        }
    }

    static Row redisStall(Lab lab) throws Exception {
        try (StallingProxy proxy = StallingProxy.to("127.0.0.1", lab.redis().port());
                Run run = Run.begin(lab, "redis-stall", lab.redis())) {
            run.relayPort(proxy.port());
            run.startRelay();
            run.workload.start();
            run.awaitMidDrain(at(lab, 0.25));
            long start = System.currentTimeMillis();
            proxy.stall();
            // Halfway through, SIGTERM: a relay blocked on a silent broker must still exit 0
            // within its shutdown bound (the transport call and its close included); a new relay
            // takes over during the stall.
            Await.pause(lab.settings.stallMillis() / 2);
            Proc relay = run.relay();
            long term = System.currentTimeMillis();
            relay.term();
            int code = relay.waitFor(Run.SHUTDOWN_TIMEOUT.plusSeconds(10));
            long took = System.currentTimeMillis() - term;
            relay.close();
            run.startRelay();
            Await.pause(Math.max(0, start + lab.settings.stallMillis() - System.currentTimeMillis()));
            proxy.resume();
            long end = System.currentTimeMillis();
            run.fault("stall", start, end);
            boolean ok = code == 0 && took <= Run.SHUTDOWN_TIMEOUT.toMillis();
            run.notes.add(String.format("stalled %.0f s; SIGTERM during the stall: %s in %.1f s%s (target: exit 0 within %d s)",
                    (end - start) / 1000.0, code == -1 ? "still running" : "exit " + code, took / 1000.0,
                    ok ? "" : " (!)", Run.SHUTDOWN_TIMEOUT.toSeconds()));
            return run.finish(Set.of(), false);
        }
    }
}
