package dev.outbox.chaos;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One message as the broker holds it: the key and per-key number from its payload, and when it
 * arrived (the broker's own timestamp where it keeps one, else when the reader received it).
 */
record Delivery(String key, int n, long atMillis) {
    private static final Pattern KEY = Pattern.compile("\"k\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern N = Pattern.compile("\"n\"\\s*:\\s*(\\d+)");

    /** Parses the payload the workload writes: {@code {"k": "k17", "n": 5}}. */
    static Delivery of(String payload, long atMillis) {
        Matcher key = KEY.matcher(payload);
        Matcher n = N.matcher(payload);
        if (!key.find() || !n.find()) {
            throw new IllegalStateException("a message the workload did not write (no \"k\"/\"n\"): " + payload);
        }
        return new Delivery(key.group(1), Integer.parseInt(n.group(1)), atMillis);
    }
}
