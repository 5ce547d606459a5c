package dev.outbox.relay.transport.sqs;

import static dev.outbox.relay.config.Setting.between;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The settings of the {@code sqs} transport, each declared once ({@link #MODEL}), and the
 * validated, immutable configuration of one {@link SqsTransport} made from their values by
 * {@link #from(ConfigValues)}. Credentials are no setting: the AWS SDK's default chain finds them
 * (environment {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, system properties
 * {@code aws.accessKeyId}/{@code aws.secretAccessKey}, profiles, web identity, container and
 * instance roles), so no secret passes through this configuration.
 *
 * @param endpoint the endpoint override (an emulator such as moto, a VPC endpoint), or {@code null} for AWS's own
 * @param region the AWS region, or {@code null} for the SDK's region chain ({@code AWS_REGION}, profile, instance)
 * @param timeout the bound of one API call (connect, send, answer)
 * @param router event → queue (a queue name or a queue URL)
 * @param source the CloudEvents {@code source}
 */
record SqsSettings(URI endpoint, String region, Duration timeout, Router router, String source) {
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z0-9]+)+");

    public static final Setting<String> ENDPOINT = Setting.text("sqs.endpoint", "OUTBOX_SQS_ENDPOINT")
            .check(SqsSettings::endpointProblem).shownType("URL")
            .description("Endpoint override, e.g. `http://127.0.0.1:5000` for an emulator or a VPC endpoint;"
                    + " unset: AWS's endpoint of the region.").build();
    public static final Setting<String> REGION_SETTING = Setting.text("sqs.region", "OUTBOX_SQS_REGION")
            .matching(REGION, "an AWS region such as eu-central-1")
            .description("AWS region; unset: the SDK's chain (`AWS_REGION`, profile, instance metadata)."
                    + " Credentials always come from the SDK's default chain.").build();
    public static final Setting<Duration> TIMEOUT = Setting.duration("sqs.timeout", "OUTBOX_SQS_TIMEOUT")
            .defaultValue(Duration.ofSeconds(10)).check(between(Duration.ofMillis(100), Duration.ofMinutes(10)))
            .description("Bound of one SQS API call (connect, send, answer); keep it below OUTBOX_SEND_TIMEOUT.")
            .build();
    /** A queue name (resolved with GetQueueUrl) or a queue URL; empty sends only routed events. */
    public static final Setting<String> ROUTE_DEFAULT = Router.routeDefault("${aggregatetype}");

    /** Every setting the {@code sqs} transport reads. */
    public static final ConfigModel MODEL = ConfigModel.of("sqs", List.of(ENDPOINT, REGION_SETTING, TIMEOUT,
            Router.ROUTES, ROUTE_DEFAULT, CloudEvent.SOURCE));

    SqsSettings {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(source, "source");
    }

    /** The configuration of validated values of {@link #MODEL}. */
    static SqsSettings from(ConfigValues values) {
        URI endpoint = values.find(ENDPOINT).filter(e -> !e.isBlank()).map(e -> URI.create(e.strip())).orElse(null);
        return new SqsSettings(endpoint, values.find(REGION_SETTING).orElse(null), values.get(TIMEOUT),
                Router.of(values, ROUTE_DEFAULT), values.get(CloudEvent.SOURCE));
    }

    /** Where the transport sends, for messages. */
    String address() {
        return (endpoint == null ? "AWS SQS" : "SQS at " + Redaction.url(endpoint.toString()))
                + (region == null ? "" : " (region " + region + ")");
    }

    private static String endpointProblem(String endpoint) {
        if (endpoint.isBlank()) {
            return null;
        }
        String shape = "an http:// or https:// URL with a host and no user info, query or fragment";
        try {
            URI uri = new URI(endpoint.strip());
            boolean web = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
            if (!web || uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                    || uri.getRawFragment() != null) {
                return "must be " + shape + " (was \"" + Redaction.url(endpoint) + "\")";
            }
            return null;
        } catch (URISyntaxException e) {
            return "must be " + shape + " (was \"" + Redaction.url(endpoint) + "\")";
        }
    }
}
