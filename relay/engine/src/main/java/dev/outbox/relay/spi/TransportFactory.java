package dev.outbox.relay.spi;

import java.util.Set;

/**
 * Creates a {@link Transport} from configuration. The sidecar finds factories with
 * {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/dev.outbox.relay.spi.TransportFactory}) and picks the one whose
 * {@link #name()} equals {@code OUTBOX_TRANSPORT}.
 */
public interface TransportFactory {

    /** The name users select, e.g. {@code kafka}: lower-case letters, digits and dashes. */
    String name();

    /**
     * Every configuration key this transport reads, e.g. {@code OUTBOX_KAFKA_BOOTSTRAP_SERVERS}.
     * The sidecar rejects keys that no component knows, so list them all.
     */
    Set<String> configKeys();

    /** Keys whose values are secrets: never logged or shown. */
    default Set<String> secretKeys() {
        return Set.of();
    }

    /**
     * @throws dev.outbox.core.OutboxException if the configuration is invalid (naming the key,
     *         the rule and the value) or the broker cannot be set up
     */
    Transport create(TransportConfig config);
}
