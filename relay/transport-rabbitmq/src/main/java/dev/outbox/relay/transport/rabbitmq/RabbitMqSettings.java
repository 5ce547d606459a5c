package dev.outbox.relay.transport.rabbitmq;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The settings of the {@code rabbitmq} transport, each declared once below ({@link #MODEL}), and
 * their validated values for one {@link RabbitMqTransport}. Immutable; {@link #toString()} never
 * shows the URI's password.
 */
public final class RabbitMqSettings {
    /** The exchange of events without a route when {@code OUTBOX_ROUTE_DEFAULT} is not set. */
    public static final String DEFAULT_EXCHANGE = "outbox";
    /** The routing key template when {@code OUTBOX_RABBITMQ_ROUTING_KEY} is not set. */
    public static final String DEFAULT_ROUTING_KEY = "${aggregatetype}.${type}";

    // The URI carries the password: secret, so that it is never shown and may come from OUTBOX_RABBITMQ_URI_FILE.
    public static final Setting<String> URI = Setting.text("rabbitmq.uri", "OUTBOX_RABBITMQ_URI")
            .required().secret().check(RabbitMqSettings::uriProblem).shownType("amqp[s]://user:password@host:port/vhost")
            .description("The broker: `amqp://user:password@host:5672/vhost`, or `amqps://…` for TLS verified"
                    + " against the JVM's trust store and the host name.").build();
    public static final Setting<String> ROUTE_DEFAULT = Router.routeDefault(DEFAULT_EXCHANGE);
    /** Checks the routing key's placeholders as {@link Router} checks a route's. */
    private static final Setting<String> ROUTING_KEY_TEMPLATE = Router.template("rabbitmq.routingKey",
            "OUTBOX_RABBITMQ_ROUTING_KEY", DEFAULT_ROUTING_KEY, "");
    public static final Setting<String> ROUTING_KEY = Setting.text("rabbitmq.routingKey", "OUTBOX_RABBITMQ_ROUTING_KEY")
            .defaultValue(DEFAULT_ROUTING_KEY)
            .check(v -> v.isBlank() ? "must not be blank; leave it out for the default " + DEFAULT_ROUTING_KEY : null)
            .check(ROUTING_KEY_TEMPLATE::problem)
            .description("Routing key of an event; `${aggregatetype}` and `${type}` are replaced.").build();
    public static final Setting<Duration> CONFIRM_TIMEOUT = Setting.duration("rabbitmq.confirmTimeout",
                    "OUTBOX_RABBITMQ_CONFIRM_TIMEOUT").defaultValue(Duration.ofSeconds(30))
            .check(Setting.between(Duration.ofMillis(1), Duration.ofHours(1)))
            .description("Longest wait for a batch's publisher confirms; none by then is an outage.").build();
    public static final Setting<Boolean> DECLARE_EXCHANGE = Setting.bool("rabbitmq.declareExchange",
                    "OUTBOX_RABBITMQ_DECLARE_EXCHANGE").defaultValue(false)
            .description("Declare a missing exchange as a durable topic exchange instead of failing its events.")
            .build();

    /** Every setting of the {@code rabbitmq} transport: the exchange of an event is its route. */
    public static final ConfigModel MODEL = ConfigModel.of("rabbitmq", List.of(URI, Router.ROUTES, ROUTE_DEFAULT,
            ROUTING_KEY, CONFIRM_TIMEOUT, DECLARE_EXCHANGE, CloudEvent.SOURCE));

    private final URI uri;
    private final Router exchanges;
    private final Router routingKeys;
    private final String source;
    private final Duration confirmTimeout;
    private final boolean declareExchange;

    private RabbitMqSettings(ConfigValues values) {
        this.uri = java.net.URI.create(values.get(URI)); // checked by uriProblem
        this.exchanges = Router.of(values, ROUTE_DEFAULT);
        this.routingKeys = Router.of(null, values.get(ROUTING_KEY));
        this.source = values.get(CloudEvent.SOURCE);
        this.confirmTimeout = values.get(CONFIRM_TIMEOUT);
        this.declareExchange = values.get(DECLARE_EXCHANGE);
    }

    /**
     * The settings of validated values of {@link #MODEL}.
     *
     * @throws IllegalArgumentException if they are values of another model
     */
    static RabbitMqSettings from(ConfigValues values) {
        if (values.model() != MODEL) {
            throw new IllegalArgumentException("values of " + values.model().name() + ", not of rabbitmq");
        }
        return new RabbitMqSettings(values);
    }

    /** The broker URI ({@code amqp://user:pass@host:5672/vhost}); holds a secret, see {@link #maskedUri()}. */
    URI uri() {
        return uri;
    }

    /** Event → exchange name ({@code OUTBOX_ROUTES}, {@code OUTBOX_ROUTE_DEFAULT}). */
    Router exchanges() {
        return exchanges;
    }

    /** Event → routing key ({@code OUTBOX_RABBITMQ_ROUTING_KEY} as a template). */
    Router routingKeys() {
        return routingKeys;
    }

    /** The CloudEvents {@code source}. */
    String source() {
        return source;
    }

    /** Longest wait for the publisher confirms of one batch. */
    Duration confirmTimeout() {
        return confirmTimeout;
    }

    /** Whether a missing exchange is declared (durable, topic). */
    boolean declareExchange() {
        return declareExchange;
    }

    /** The URI without its user info, safe for messages and logs. */
    String maskedUri() {
        return Redaction.url(uri.toString());
    }

    /** Masks the password (as written and decoded) and any URL credentials in a text, e.g. a client's message. */
    UnaryOperator<String> scrubber() {
        List<String> secrets = new ArrayList<>();
        String userInfo = uri.getRawUserInfo();
        int colon = userInfo == null ? -1 : userInfo.indexOf(':');
        if (colon >= 0) {
            String password = userInfo.substring(colon + 1);
            secrets.add(password);
            secrets.add(URLDecoder.decode(password.replace("+", "%2B"), StandardCharsets.UTF_8));
        }
        return Redaction.scrubber(secrets);
    }

    @Override
    public String toString() {
        return "RabbitMqSettings[uri=" + maskedUri() + ", source=" + source + ", confirmTimeout=" + confirmTimeout
                + ", declareExchange=" + declareExchange + "]";
    }

    /** What is wrong with a broker URI (without the key; the URI's user info masked), or {@code null}. */
    private static String uriProblem(String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            // Not e's text: URISyntaxException quotes the input, password included.
            return "must be a URI such as amqp://user:password@host:5672/vhost (was \"" + Redaction.url(text) + "\")";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("amqp") && !scheme.equals("amqps")) {
            return "must start with amqp:// or amqps:// (was \"" + Redaction.url(text) + "\")";
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            return "must name a host, as in amqp://user:password@host:5672/vhost (was \"" + Redaction.url(text) + "\")";
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && userInfo.indexOf(':') != userInfo.lastIndexOf(':')) {
            return "user info must be user:password with the password URL-encoded (was \"" + Redaction.url(text) + "\")";
        }
        String path = uri.getRawPath();
        if (path != null && path.length() > 1 && path.indexOf('/', 1) >= 0) {
            return "path must be one virtual host, URL-encoded (%2F for /) (was \"" + Redaction.url(text) + "\")";
        }
        return null;
    }
}
