package dev.outbox.relay.spi;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;

/**
 * Creates a {@link Transport} from configuration. The sidecar finds factories with
 * {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/dev.outbox.relay.spi.TransportFactory}), picks the one whose
 * {@link #name()} equals {@code OUTBOX_TRANSPORT}, reads the environment with its
 * {@link #config()} and passes the validated values to {@link #create}. Embedders use the
 * transport's typed builder instead, which validates with the same model.
 */
public interface TransportFactory {

    /** The name users select, e.g. {@code kafka}: lower-case letters, digits and dashes. */
    String name();

    /**
     * Every setting this transport reads, declared once. The sidecar rejects keys that no
     * component declares, masks the secret ones and lists them in {@code --help}.
     */
    ConfigModel config();

    /**
     * @param values validated values of {@link #config()}
     * @throws dev.outbox.core.OutboxException if the broker client rejects the configuration or
     *         cannot be set up (naming the key, the rule and the value, never a secret)
     */
    Transport create(ConfigValues values);
}
