package dev.outbox.relay.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Structured fields of a log record, passed as the last parameter of a {@link System.Logger}
 * call ({@code log.log(WARNING, "delivery failed {0}", LogFields.of("event_id", id))}). Plain
 * loggers print them as {@code key=value}; the sidecar's JSON log format writes them as fields;
 * through SLF4J ({@link RelayLogs}) they are also in the MDC while the record is logged.
 * Never put payloads or secrets in here. {@link #toString()} escapes control characters
 * ({@link ControlChars}), since values such as an event's key come from outside.
 */
public record LogFields(Map<String, Object> fields) {

    public static LogFields of(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null) {
                map.put(String.valueOf(keysAndValues[i]), keysAndValues[i + 1]);
            }
        }
        return new LogFields(Collections.unmodifiableMap(map)); // keeps the order given
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        fields.forEach((k, v) -> text.append(text.length() == 0 ? "" : " ").append(ControlChars.escape(k)).append('=')
                .append(ControlChars.escape(String.valueOf(v))));
        return text.toString();
    }
}
