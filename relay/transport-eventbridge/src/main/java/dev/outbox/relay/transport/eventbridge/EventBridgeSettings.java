package dev.outbox.relay.transport.eventbridge;

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
 * The settings of the {@code eventbridge} transport, each declared once ({@link #MODEL}), and the
 * validated, immutable configuration of one {@link EventBridgeTransport} made from their values by
 * {@link #from(ConfigValues)}. Credentials are not among them: the AWS SDK's default chain finds
 * them (environment {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, system properties,
 * profile files, web identity, container or instance role), so no secret is ever held here.
 *
 * @param endpoint the endpoint override (an emulator such as moto, a VPC endpoint), or {@code null}
 *                 for the region's own endpoint
 * @param region the region, or {@code null} to take the SDK's region chain ({@code AWS_REGION},
 *               {@code aws.region}, profile, instance metadata)
 * @param timeout the bound of one {@code PutEvents} call, connecting included
 * @param router event → event bus name or ARN
 * @param source the CloudEvents {@code source}, also the EventBridge {@code Source}
 */
record EventBridgeSettings(URI endpoint, String region, Duration timeout, Router router, String source) {
    /** AWS region names: {@code us-east-1}, {@code eu-central-2}, {@code us-gov-west-1}, {@code cn-north-1}. */
    private static final Pattern REGION_NAME = Pattern.compile("[a-z]{2}(-[a-z0-9]+)+");

    public static final Setting<String> ENDPOINT = Setting.text("eventbridge.endpoint", "OUTBOX_EVENTBRIDGE_ENDPOINT")
            .check(EventBridgeSettings::endpointProblem).shownType("http(s)://host[:port]")
            .description("Endpoint override, e.g. an emulator (`http://127.0.0.1:5000`) or a VPC endpoint;"
                    + " unset: the region's EventBridge endpoint.").build();
    public static final Setting<String> REGION = Setting.text("eventbridge.region", "OUTBOX_EVENTBRIDGE_REGION")
            .matching(REGION_NAME, "an AWS region name such as eu-central-1")
            .description("AWS region; unset: the SDK's chain (`AWS_REGION`, profile, instance metadata)."
                    + " Credentials always come from the SDK's default chain.").build();
    public static final Setting<Duration> TIMEOUT = Setting.duration("eventbridge.timeout", "OUTBOX_EVENTBRIDGE_TIMEOUT")
            .defaultValue(Duration.ofSeconds(10)).check(between(Duration.ofMillis(1), Duration.ofMinutes(10)))
            .description("Bound of one PutEvents call (connect, send, answer); keep it below OUTBOX_SEND_TIMEOUT.")
            .build();
    /** The default bus of the account; empty sends only routed events. */
    public static final Setting<String> ROUTE_DEFAULT = Router.routeDefault("default");

    /** Every setting the {@code eventbridge} transport reads. */
    public static final ConfigModel MODEL = ConfigModel.of("eventbridge", List.of(ENDPOINT, REGION, TIMEOUT,
            Router.ROUTES, ROUTE_DEFAULT, CloudEvent.SOURCE));

    EventBridgeSettings {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(source, "source");
    }

    /** The configuration of validated values of {@link #MODEL}. */
    static EventBridgeSettings from(ConfigValues values) {
        return new EventBridgeSettings(values.find(ENDPOINT).map(URI::create).orElse(null),
                values.find(REGION).orElse(null), values.get(TIMEOUT), Router.of(values, ROUTE_DEFAULT),
                values.get(CloudEvent.SOURCE));
    }

    /** Where the transport sends, for messages. */
    String address() {
        return (endpoint == null ? "EventBridge" : "EventBridge at " + endpoint)
                + (region == null ? "" : " (region " + region + ")");
    }

    @Override
    public String toString() {
        return "EventBridgeSettings[endpoint=" + (endpoint == null ? "default" : endpoint) + ", region="
                + (region == null ? "SDK chain" : region) + ", timeout=" + timeout + ", source=" + source + "]";
    }

    private static String endpointProblem(String endpoint) {
        URI uri;
        try {
            uri = new URI(endpoint);
        } catch (URISyntaxException e) {
            return "must be a URL http(s)://host[:port] (was not one: " + e.getReason() + " at index " + e.getIndex() + ")";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "must start with http:// or https:// (was \"" + Redaction.urls(endpoint) + "\")";
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            return "must name a host (was \"" + Redaction.urls(endpoint) + "\")";
        }
        // Credentials come from the SDK's chain only; a URL that carries some would put them in messages.
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return "must not have user info, query parameters or a fragment (was \"" + Redaction.urls(endpoint) + "\")";
        }
        return null;
    }
}
