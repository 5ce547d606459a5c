package dev.outbox.relay.transport.log;

import dev.outbox.core.internal.JsonFactories;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.JsonWriter;
import java.io.PrintStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Writes every event as one compact JSON line to a {@link PrintStream} (stdout in the sidecar)
 * and acknowledges it: for trying the relay out and for piping events into other tools. There is
 * no broker, so "acknowledged" means written and flushed.
 *
 * <p>Line fields: {@code id}, {@code seq}, {@code aggregatetype}, {@code aggregateid},
 * {@code type}, {@code occurred_at} (ISO-8601), {@code attempt}, {@code headers} (object) and
 * {@code payload} (the event's JSON, embedded as JSON).
 *
 * <p>Failures: when the stream reports an error (closed pipe, full disk) the whole batch fails,
 * retryable, and the relay tries again later. A payload that is not JSON (impossible through the
 * schema's {@code jsonb} column, kept as a guard) fails that event only, non-retryable.
 */
public final class LogTransport implements Transport {
    private final PrintStream out;

    /** @param out where the lines go; flushed after every batch */
    public LogTransport(PrintStream out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        List<SendResult> results = new ArrayList<>(batch.size());
        StringBuilder lines = new StringBuilder();
        for (OutboxMessage m : batch) {
            try {
                lines.append(line(m)).append(System.lineSeparator());
                results.add(SendResult.acknowledged(m.id()));
            } catch (JsonException e) {
                results.add(SendResult.failed(m.id(), TransportException.permanent("payload is not valid JSON", e)));
            }
        }
        synchronized (out) {
            out.print(lines);
            out.flush();
            // PrintStream swallows IOExceptions; checkError() is how a closed pipe shows up.
            if (out.checkError()) {
                throw TransportException.outage("writing events to the log stream failed", null);
            }
        }
        return results;
    }

    /** The JSON line for one event, without line separator. */
    static String line(OutboxMessage m) {
        JsonObjectBuilder headers = JsonFactories.objectBuilder();
        // Sorted so that lines are stable and easy to diff.
        new TreeMap<>(m.headers()).forEach(headers::add);
        JsonObject event = JsonFactories.objectBuilder()
                .add("id", m.id().toString())
                .add("seq", m.seq())
                .add("aggregatetype", m.aggregateType())
                .add("aggregateid", m.aggregateId())
                .add("type", m.type())
                .add("occurred_at", DateTimeFormatter.ISO_INSTANT.format(m.occurredAt()))
                .add("attempt", m.attempt())
                .add("headers", headers)
                .add("payload", parse(m.payload()))
                .build();
        StringWriter text = new StringWriter();
        try (JsonWriter writer = JsonFactories.writer(text)) {
            writer.write(event);
        }
        return text.toString();
    }

    private static JsonValue parse(String json) {
        try (JsonReader reader = JsonFactories.reader(new StringReader(json))) {
            return reader.readValue();
        }
    }
}
