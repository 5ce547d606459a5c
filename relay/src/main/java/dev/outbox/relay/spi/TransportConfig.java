package dev.outbox.relay.spi;

import dev.outbox.core.OutboxException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration a {@link TransportFactory} builds its transport from: validated keys and
 * values from the environment or a properties file, e.g. {@code OUTBOX_KAFKA_BOOTSTRAP_SERVERS}.
 * Getters fail with a message naming the key, the rule and the value.
 */
public final class TransportConfig {
    private final Map<String, String> values;

    public TransportConfig(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String require(String key) {
        return get(key).orElseThrow(() -> new OutboxException(key + " is required"));
    }

    public String get(String key, String defaultValue) {
        return values.getOrDefault(key, defaultValue);
    }

    public int getInt(String key, int defaultValue, int min, int max) {
        String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed < min || parsed > max) {
                throw new OutboxException(key + " must be between " + min + " and " + max + " (was " + value + ")");
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw new OutboxException(key + " must be a whole number (was \"" + value + "\")", e);
        }
    }

    public Duration getDuration(String key, Duration defaultValue) {
        String value = values.get(key);
        return value == null ? defaultValue : Durations.parse(key, value);
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new OutboxException(key + " must be true or false (was \"" + value + "\")");
        };
    }
}
