package dev.outbox.relay.transport;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.spi.Transport;
import java.util.Objects;

/**
 * What the typed builders of the built-in transports share ({@code KafkaTransport.builder()} …):
 * the values they collect, each checked when it is set against the transport's declared
 * settings (a message names the property, the rule and the value), and the routing and
 * CloudEvents settings every transport reads. A transport's builder adds one setter per
 * setting of its own and {@link #build()}, which checks the required settings and the rules
 * between values and creates the transport as its factory does. Not thread-safe.
 *
 * @param <B> the transport's builder
 */
public abstract class TransportBuilder<B extends TransportBuilder<B>> {
    /** The values set so far; {@code values.build()} checks the required settings and the rules. */
    protected final ConfigValues.Builder values;
    private final Setting<String> routeDefault;

    /**
     * @param model the transport's declared settings
     * @param routeDefault its {@link Router#routeDefault} setting (the default differs per transport)
     */
    protected TransportBuilder(ConfigModel model, Setting<String> routeDefault) {
        this.values = ConfigValues.builder(model);
        this.routeDefault = Objects.requireNonNull(routeDefault, "routeDefault");
    }

    /** Event → destination: comma-separated {@code Type=destination} or {@code Type/EventType=destination} pairs. */
    public B routes(String routes) {
        return set(Router.ROUTES, routes);
    }

    /**
     * The destination of events without a route; {@code ${aggregatetype}} and {@code ${type}} are
     * replaced. The transport's default is in its table of settings.
     */
    public B routeDefault(String template) {
        return set(routeDefault, template);
    }

    /** The CloudEvents {@code source} of the events (default {@code /outbox}). */
    public B cloudEventsSource(String source) {
        return set(CloudEvent.SOURCE, source);
    }

    /**
     * Sets one of the transport's settings.
     *
     * @throws dev.outbox.core.OutboxException naming the property, the rule and the value
     */
    protected <T> B set(Setting<T> setting, T value) {
        values.set(setting, value);
        @SuppressWarnings("unchecked")
        B self = (B) this;
        return self;
    }

    /**
     * A new transport; it connects when it first sends.
     *
     * @throws dev.outbox.core.OutboxException naming the property if a required setting is
     *         missing, a rule between values is broken, or the client rejects the configuration
     */
    public abstract Transport build();
}
