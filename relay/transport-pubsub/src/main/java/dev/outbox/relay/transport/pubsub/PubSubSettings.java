package dev.outbox.relay.transport.pubsub;

import static dev.outbox.relay.config.Setting.between;

import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.retrying.RetrySettings;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Naming;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings of the {@code pubsub} transport, each declared once ({@link #MODEL}), and the
 * validated, immutable configuration of one {@link PubSubTransport} made from their values by
 * {@link #from}. Messages name the key as the user wrote it ({@link Naming}), the rule and the
 * value. No setting holds a secret: credentials come from Application Default Credentials (or
 * none at all for an emulator's endpoint).
 *
 * @param project the Google Cloud project of the topics
 * @param endpoint an emulator's {@code host:port} (plaintext, no credentials), or {@code null}
 *        for Google's endpoint with Application Default Credentials
 * @param timeout longest wait in one {@code send} for every publish of the batch; also the
 *        client's total time for one publish, retries included
 * @param router event → topic
 * @param source the CloudEvents {@code source}
 * @param naming how the transport's messages name its settings: as the user configured it
 */
record PubSubSettings(String project, String endpoint, Duration timeout, Router router, String source,
                      Naming naming) {

    /** Google's rule for project ids (6-30 of a-z, 0-9, '-'), optionally in a domain ({@code example.com:p}). */
    private static final Pattern PROJECT_ID = Pattern.compile("([a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9a-fA-F:.]+]|[A-Za-z0-9._-]+):(\\d{1,5})");

    public static final Setting<String> PROJECT = Setting.text("pubsub.project", "OUTBOX_PUBSUB_PROJECT").required()
            .matching(PROJECT_ID, "a Google Cloud project id: 6-30 of a-z, 0-9 and '-', starting with a letter")
            .description("The Google Cloud project of the topics.").build();
    public static final Setting<String> ENDPOINT = Setting.text("pubsub.endpoint", "OUTBOX_PUBSUB_ENDPOINT")
            .check(PubSubSettings::endpointProblem).shownType("host:port")
            .description("An emulator's `host:port`, reached in plaintext without credentials (as"
                    + " `PUBSUB_EMULATOR_HOST` does); unset: Google's endpoint with Application Default"
                    + " Credentials.").build();
    /** Below the relay's default send timeout (30s): this transport, not the relay's interrupt, reports each event. */
    public static final Setting<Duration> TIMEOUT = Setting.duration("pubsub.timeout", "OUTBOX_PUBSUB_TIMEOUT")
            .defaultValue(Duration.ofSeconds(25)).check(between(Duration.ofSeconds(1), Duration.ofMinutes(10)))
            .description("Longest wait for a batch's publishes, retries included; keep it below"
                    + " `OUTBOX_SEND_TIMEOUT`.").build();
    /** Empty sends only routed events. */
    public static final Setting<String> ROUTE_DEFAULT = Router.routeDefault("${aggregatetype}");

    /** Every setting the {@code pubsub} transport reads. */
    public static final ConfigModel MODEL = ConfigModel.of("pubsub", List.of(PROJECT, ENDPOINT, TIMEOUT,
            Router.ROUTES, ROUTE_DEFAULT, CloudEvent.SOURCE));

    /**
     * The publisher's batching. With message ordering the client batches per ordering key; the
     * relay hands over whole batches, so a key's events of one batch go in few requests (up to
     * 100 messages or 1 MB each), while keys with one event each are one request per event. The
     * delay threshold is how long the last events of a batch wait for company that never comes
     * (the relay waits for the batch). Measured (PubSubBatchingIT: emulator on 127.0.0.1, batches
     * of 500 events with distinct keys / of 1 event, two runs): delay 1ms 142-367 ms / 6-8 ms
     * (the client's default thresholds, 100 messages, 1000 bytes, 1ms: 202-251 ms / 4-5 ms), 10ms
     * 184-278 ms / 18-21 ms, 50ms 263-319 ms / 61-66 ms. So the least delay the client takes
     * (1ms); the byte threshold is raised to 1 MB so that a key's events go together.
     */
    static final BatchingSettings BATCHING = BatchingSettings.newBuilder()
            .setElementCountThreshold(100L)
            .setRequestByteThreshold(1_000_000L)
            .setDelayThresholdDuration(Duration.ofMillis(1))
            .build();

    /** The least total timeout {@code Publisher.Builder.setRetrySettings} accepts. */
    static final Duration MIN_CLIENT_TOTAL_TIMEOUT = Duration.ofSeconds(10);

    PubSubSettings {
        endpoint = endpoint == null || endpoint.isBlank() ? null : endpoint.strip();
    }

    /**
     * The configuration of validated values.
     *
     * @param naming how messages name the settings: as the user wrote them
     * @throws IllegalArgumentException if these are values of another model
     */
    static PubSubSettings from(ConfigValues values, Naming naming) {
        if (values.model() != MODEL) {
            throw new IllegalArgumentException("values of " + values.model().name() + ", not of pubsub");
        }
        return new PubSubSettings(values.get(PROJECT).strip(), values.find(ENDPOINT).orElse(null),
                values.get(TIMEOUT), Router.of(values, ROUTE_DEFAULT), values.get(CloudEvent.SOURCE), naming);
    }

    /** The name of {@code setting} in this transport's messages. */
    String name(Setting<?> setting) {
        return setting.name(naming);
    }

    /**
     * The client's retries of one publish: it retries what can pass (UNAVAILABLE, DEADLINE_EXCEEDED,
     * RESOURCE_EXHAUSTED, INTERNAL, ABORTED …) with backoff, but gives up about when {@code send}
     * stops waiting, so that an event given up as an outage does not turn up long after its retry
     * (the client's default would keep trying for 10 minutes). The client takes no total below
     * {@link #MIN_CLIENT_TOTAL_TIMEOUT}; with a shorter {@link #timeout} a publish given up as an
     * outage may still be stored a little later: a duplicate, never out of order, since the
     * client sends the retried event of its key only after it.
     */
    RetrySettings retrySettings() {
        Duration total = timeout.compareTo(MIN_CLIENT_TOTAL_TIMEOUT) < 0 ? MIN_CLIENT_TOTAL_TIMEOUT : timeout;
        return RetrySettings.newBuilder()
                .setTotalTimeoutDuration(total)
                .setInitialRpcTimeoutDuration(timeout)
                .setMaxRpcTimeoutDuration(timeout)
                .setRpcTimeoutMultiplier(1.0)
                .setInitialRetryDelayDuration(Duration.ofMillis(20))
                .setRetryDelayMultiplier(2.0)
                .setMaxRetryDelayDuration(Duration.ofSeconds(1))
                .build();
    }

    /** What is wrong with an endpoint value (without the key), or {@code null}. */
    private static String endpointProblem(String endpoint) {
        Matcher m = HOST_PORT.matcher(endpoint.strip());
        if (!m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
            return "must be host:port with a port 1-65535 (was \"" + endpoint + "\")";
        }
        return null;
    }
}
