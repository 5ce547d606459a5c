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
        int parsed = parseInt(key, value);
        if (parsed < min || parsed > max) {
            throw new OutboxException(key + " must be between " + min + " and " + max + " (was " + value + ")");
        }
        return parsed;
    }

    public Duration getDuration(String key, Duration defaultValue) {
        String value = values.get(key);
        return value == null ? defaultValue : Durations.parse(key, value);
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        String value = values.get(key);
        return value == null ? defaultValue : parseBoolean(key, value);
    }

    /** Parses a whole number, failing with a message naming the key and the value. */
    public static int parseInt(String key, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new OutboxException(key + " must be a whole number (was \"" + value + "\")", e);
        }
    }

    /** Parses {@code true} or {@code false} (any case), failing with a message naming the key and the value. */
    public static boolean parseBoolean(String key, String value) {
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new OutboxException(key + " must be true or false (was \"" + value + "\")");
        };
    }
}
