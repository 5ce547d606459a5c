package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import java.io.Serial;
import java.util.List;

/**
 * The sidecar's configuration is invalid. Thrown by {@link SidecarConfig#load}; carries every
 * problem found (one per line in the message), so an operator fixes them all in one round.
 * {@link Main} prints each as {@code configuration error: …} and exits with
 * {@link Main#EXIT_CONFIGURATION}. Messages never contain secret values.
 */
public final class ConfigurationException extends OutboxException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigurationException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    /** Each problem names the key, the rule and the (masked, if secret) value. */
    public List<String> problems() {
        return problems;
    }
}
