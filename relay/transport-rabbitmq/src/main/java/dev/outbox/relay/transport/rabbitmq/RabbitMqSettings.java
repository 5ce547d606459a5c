package dev.outbox.relay.transport.rabbitmq;

import static dev.outbox.relay.transport.rabbitmq.RabbitMqTransportFactory.CONFIRM_TIMEOUT_KEY;
import static dev.outbox.relay.transport.rabbitmq.RabbitMqTransportFactory.DECLARE_EXCHANGE_KEY;
import static dev.outbox.relay.transport.rabbitmq.RabbitMqTransportFactory.DEFAULT_EXCHANGE;
import static dev.outbox.relay.transport.rabbitmq.RabbitMqTransportFactory.DEFAULT_ROUTING_KEY;
import static dev.outbox.relay.transport.rabbitmq.RabbitMqTransportFactory.ROUTING_KEY_KEY;
import static dev.outbox.relay.transport.rabbitmq.RabbitMqTransportFactory.URI_KEY;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.transport.Router;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The validated settings of one {@link RabbitMqTransport}, built once by
 * {@link RabbitMqTransportFactory#create}.
 *
 * @param uri the broker URI ({@code amqp://user:pass@host:5672/vhost}); holds a secret, see
 *        {@link #maskedUri()}
 * @param exchanges event → exchange name ({@code OUTBOX_ROUTES}, {@code OUTBOX_ROUTE_DEFAULT})
 * @param routingKeys event → routing key ({@code OUTBOX_RABBITMQ_ROUTING_KEY} as a template)
 * @param source the CloudEvents {@code source}
 * @param confirmTimeout longest wait for the publisher confirms of one batch
 * @param declareExchange whether a missing exchange is declared (durable, topic)
 */
record RabbitMqSettings(URI uri, Router exchanges, Router routingKeys, String source, Duration confirmTimeout,
                        boolean declareExchange) {
    static final Duration MAX_CONFIRM_TIMEOUT = Duration.ofHours(1);

    RabbitMqSettings {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(exchanges, "exchanges");
        Objects.requireNonNull(routingKeys, "routingKeys");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(confirmTimeout, "confirmTimeout");
    }

    /**
     * Reads and validates the transport's keys.
     *
     * @throws OutboxException naming the key, the rule and the value (the URI with its password masked)
     */
    static RabbitMqSettings from(TransportConfig config) {
        URI uri = parseUri(config.require(URI_KEY));
        Router exchanges = Router.parse(config.get(Router.ROUTES_KEY).orElse(null),
                config.get(Router.DEFAULT_KEY, DEFAULT_EXCHANGE));
        String template = config.get(ROUTING_KEY_KEY, DEFAULT_ROUTING_KEY);
        if (template.isBlank()) {
            throw new OutboxException(ROUTING_KEY_KEY + " must not be blank (was \"" + template
                    + "\"); leave it out for the default " + DEFAULT_ROUTING_KEY);
        }
        Router routingKeys;
        try {
            routingKeys = Router.parse(null, template);
        } catch (OutboxException e) {
            // The template is checked by Router as if it were a default route; users set this key.
            throw new OutboxException(e.getMessage().replace(Router.DEFAULT_KEY, ROUTING_KEY_KEY), e);
        }
        String source = CloudEvent.source(config);
        Duration confirmTimeout = config.getDuration(CONFIRM_TIMEOUT_KEY, Duration.ofSeconds(30));
        if (confirmTimeout.isNegative() || confirmTimeout.isZero() || confirmTimeout.compareTo(MAX_CONFIRM_TIMEOUT) > 0) {
            throw new OutboxException(CONFIRM_TIMEOUT_KEY + " must be more than 0 and at most 1h (was "
                    + config.get(CONFIRM_TIMEOUT_KEY).orElse("") + ")");
        }
        boolean declare = config.getBoolean(DECLARE_EXCHANGE_KEY, false);
        return new RabbitMqSettings(uri, exchanges, routingKeys, source, confirmTimeout, declare);
    }

    /** The URI without its password, safe for messages and logs. */
    String maskedUri() {
        return mask(uri.toString());
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

    private static URI parseUri(String value) {
        String text = value.strip();
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            // No cause: URISyntaxException quotes the input, password included.
            throw new OutboxException(URI_KEY + " must be a URI such as amqp://user:password@host:5672/vhost (was \""
                    + mask(text) + "\")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("amqp") && !scheme.equals("amqps")) {
            throw new OutboxException(URI_KEY + " must start with amqp:// or amqps:// (was \"" + mask(text) + "\")");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new OutboxException(URI_KEY + " must name a host, as in amqp://user:password@host:5672/vhost (was \""
                    + mask(text) + "\")");
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null && userInfo.indexOf(':') != userInfo.lastIndexOf(':')) {
            throw new OutboxException(URI_KEY + " user info must be user:password with the password URL-encoded (was \""
                    + mask(text) + "\")");
        }
        String path = uri.getRawPath();
        if (path != null && path.length() > 1 && path.indexOf('/', 1) >= 0) {
            throw new OutboxException(URI_KEY + " path must be one virtual host, URL-encoded (%2F for /) (was \""
                    + mask(text) + "\")");
        }
        return uri;
    }

    /** {@code text} with whatever follows the first ':' of the user info (up to the last '@') replaced by ****. */
    static String mask(String text) {
        int scheme = text.indexOf("://");
        int start = scheme < 0 ? 0 : scheme + 3;
        int at = text.lastIndexOf('@');
        if (at < start) {
            return text;
        }
        int colon = text.indexOf(':', start);
        if (colon < 0 || colon > at) {
            return text;
        }
        return text.substring(0, colon + 1) + "****" + text.substring(at);
    }
}
