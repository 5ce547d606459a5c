package dev.outbox.relay.config;

import java.time.Duration;

/**
 * A rule between the values of several settings, checked once all of them are valid (by a
 * builder's {@code build()} and by {@link ConfigReader}).
 */
@FunctionalInterface
public interface Rule {

    /** The problem, naming the settings as {@code naming} says, or {@code null} if the values agree. */
    String problem(ConfigValues values, Naming naming);

    /** {@code low <= high}, e.g. the shortest poll interval is at most the longest. */
    static Rule notAbove(Setting<Duration> low, Setting<Duration> high) {
        return (values, naming) -> {
            Duration a = values.get(low);
            Duration b = values.get(high);
            return a == null || b == null || a.compareTo(b) <= 0 ? null
                    : low.name(naming) + " must be <= " + high.name(naming) + " (was " + Durations.format(a) + " > "
                    + Durations.format(b) + ")";
        };
    }
}
