package dev.outbox.bench.cloud;

import dev.outbox.bench.BenchContext;
import dev.outbox.bench.Comparison;
import dev.outbox.bench.EventSpec;
import dev.outbox.bench.Machine;
import dev.outbox.bench.Relays;
import dev.outbox.bench.Report;
import dev.outbox.bench.Scenario;
import dev.outbox.bench.ScratchDatabase;
import dev.outbox.bench.Services;
import dev.outbox.bench.Target;
import dev.outbox.bench.Targets;
import dev.outbox.relay.RelayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 10 item 5: the relay through the {@code sqs} (standard and FIFO queue),
 * {@code eventbridge} and {@code pubsub} transports, built as the sidecar builds them, against the
 * same SDK client publishing the same events by hand with the same batching limits and
 * concurrency ({@link Target#byHand}). On the emulators: moto and Google's Pub/Sub emulator,
 * so the figures are ratios of what the relay adds over the client, never cloud throughput.
 *
 * <p>Each run gets a fresh destination (created before, deleted after, neither timed) and the
 * relay a freshly filled backlog; the relay is timed from {@code start()} until its counters show
 * every event published.
 */
public final class CloudScenario implements Scenario {
    private static final Duration CAP = Duration.ofMinutes(10);

    @Override
    public String name() {
        return "cloud";
    }

    @Override
    public String description() {
        return "relay through the sqs (standard, FIFO), eventbridge and pubsub transports vs the same SDK client by hand,"
                + " on moto and the Pub/Sub emulator";
    }

    @Override
    public void run(BenchContext context) throws Exception {
        Services s = context.services();
        Services.require("moto (SQS, EventBridge)", s.awsEndpoint(), "run `bash .ci/emulators.sh start`, or set"
                + " OUTBOX_TEST_AWS_ENDPOINT");
        Services.require("the Pub/Sub emulator", s.pubsubEmulator(), "run `bash .ci/emulators.sh start`, or set"
                + " OUTBOX_TEST_PUBSUB_EMULATOR_HOST");
        Aws.dummyCredentialsIfNone();
        int keys = 100;
        List<Target> targets = new ArrayList<>();
        try {
            targets.add(new SqsTarget(s.awsEndpoint(), false, new EventSpec(context.size(1_000, 100), keys)));
            // moto's FIFO queues take 0.3 s (idle machine) to several seconds (loaded) per batch of 10.
            targets.add(new SqsTarget(s.awsEndpoint(), true, new EventSpec(context.size(300, 100), keys)));
            targets.add(new EventBridgeTarget(s.awsEndpoint(), new EventSpec(context.size(400, 50), keys)));
            targets.add(new PubSubTarget(s.pubsubEmulator(), new EventSpec(context.size(5_000, 500), keys)));
            RelayConfig config = Relays.config(Map.of());
            List<Comparison> results = new ArrayList<>();
            try (ScratchDatabase db = context.scratchDatabase("cloud")) {
                for (Target t : targets) {
                    String tag = t.transport() + (t.label().contains("FIFO") ? "-fifo" : "");
                    results.add(Targets.compare(context, db, config, t, tag, CAP));
                }
            }
            report(context, targets, results, config);
        } finally {
            targets.forEach(Target::close);
        }
    }

    private void report(BenchContext context, List<Target> targets, List<Comparison> results, RelayConfig config) {
        Report.Section section = context.report().section("cloud: the relay vs the SDK client by hand, on emulators");
        section.text("""
                The relay (in-process, default configuration; the transport created by its `TransportFactory` from \
                the sidecar's `OUTBOX_*` keys) drains a committed backlog through each cloud transport; the same \
                SDK client publishes the same events by hand with the same limits. Both are timed to the last \
                acknowledgement; each run gets a fresh queue, bus or topic. **The emulators are not the cloud**: \
                moto and the Pub/Sub emulator run on this machine, in one process each, and their speed says \
                nothing about AWS or Google Cloud. What carries over is the ratio: how much of the client's rate \
                the relay keeps.""");
        Targets.report(section, "cloud transports on emulators: relay / SDK client by hand", "cloud-ratio", targets,
                results);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("events", "aggregate type Order, 100 keys round-robin, ~250-byte JSON payload, headers traceparent"
                + " and correlationid");
        settings.put("relay configuration", Relays.describe(config));
        targets.forEach(t -> t.settings().forEach((k, v) -> settings.put(k, v)));
        settings.put("moto", motoVersion());
        settings.put("Pub/Sub emulator", pubsubEmulatorVersion());
        settings.put("AWS endpoint", context.services().awsEndpoint());
        settings.put("Pub/Sub emulator host", context.services().pubsubEmulator());
        section.settings("Settings and versions", settings);
    }

    /** The version of the moto_server that runs (from its Python package), or "unknown". */
    static String motoVersion() {
        for (String cmd : Machine.commandLines("moto_server")) {
            String[] parts = cmd.split(" ");
            if (parts.length > 1 && parts[0].contains("python")) {
                String v = Machine.output(parts[0], "-c", "import moto; print(moto.__version__)");
                if (!"unknown".equals(v)) {
                    return v;
                }
            }
        }
        return "unknown";
    }

    /** The emulator's version from its jar's name ({@code cloud-pubsub-emulator-0.8.20-all.jar}), or "unknown". */
    static String pubsubEmulatorVersion() {
        Pattern jar = Pattern.compile("cloud-pubsub-emulator-([0-9.]+)-all\\.jar");
        for (String cmd : Machine.commandLines("cloud-pubsub-emulator-")) {
            Matcher m = jar.matcher(cmd);
            if (m.find()) {
                return m.group(1);
            }
        }
        return "unknown";
    }
}
