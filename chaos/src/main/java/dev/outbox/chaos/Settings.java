package dev.outbox.chaos;

import java.util.List;

/**
 * The size of a run. Each scenario's writer inserts {@code rounds} rounds of one event per key
 * ({@code keys} keys), one transaction per round, a round every {@code roundMillis}: events keep
 * arriving while the faults happen, so every fault hits the relay mid-drain.
 *
 * @param only       scenario names to run (empty: the mode's default set)
 */
record Settings(boolean shortMode, int keys, int rounds, long roundMillis, long stallMillis, List<String> only) {
    static Settings full(List<String> only) {
        return new Settings(false, 1000, 60, 250, 30_000, only);
    }

    static Settings quick(List<String> only) {
        return new Settings(true, 1000, 15, 300, 3_000, only);
    }

    int events() {
        return keys * rounds;
    }
}
