package dev.outbox.core;

import dev.outbox.core.internal.JsonCodec;
import dev.outbox.core.internal.UuidV7;
import jakarta.json.JsonStructure;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One event to write to the outbox: what happened ({@link #type()}) to which entity
 * ({@link #aggregateType()}, {@link #aggregateId()}), with a JSON body and string headers.
 *
 * <p>Immutable and validated when built: an instance that exists can be written. Build one with
 * {@link #builder(String, String, String)}; invalid input fails there with an
 * {@link OutboxException} that names the field, the rule and the value.
 *
 * <p>Events with the same {@code (aggregateType, aggregateId)} are delivered in the order they
 * were written; the aggregate id is also the broker message key.
 */
public final class OutboxEvent {
    /** Default limit of {@link Builder#maxPayloadBytes(int)}: 1 MiB of UTF-8 JSON. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;
    /** Maximum length in characters of the aggregate type, aggregate id, event type and header names. */
    public static final int MAX_NAME_LENGTH = 255;
    /** Maximum length in characters of a header value. */
    public static final int MAX_HEADER_VALUE_LENGTH = 8192;
    /** Header holding the W3C Trace Context {@code traceparent}. */
    public static final String TRACEPARENT = "traceparent";
    /** Header holding the W3C Trace Context {@code tracestate}. */
    public static final String TRACESTATE = "tracestate";
    /**
     * Header holding the correlation id. Spelled as a valid CloudEvents extension attribute name
     * (lower-case letters and digits only) so transports can send it as one unchanged.
     */
    public static final String CORRELATION_ID = "correlationid";

    // W3C Trace Context level 1: version-traceid-parentid-flags, lower-case hex. Version ff is
    // invalid, as are all-zero trace and parent ids.
    private static final Pattern TRACEPARENT_FORMAT =
            Pattern.compile("(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");

    private final UUID id;
    private final String aggregateType;
    private final String aggregateId;
    private final String type;
    private final JsonStructure payload;
    private final String payloadJson;
    private final Map<String, String> headers;
    private final Instant occurredAt;

    private OutboxEvent(Builder b, String payloadJson) {
        this.id = b.id != null ? b.id : UuidV7.system().next();
        this.aggregateType = b.aggregateType;
        this.aggregateId = b.aggregateId;
        this.type = b.type;
        this.payload = b.payload;
        this.payloadJson = payloadJson;
        this.headers = Map.copyOf(b.headers);
        // PostgreSQL keeps microseconds; truncating here makes a read-back event equal this one.
        this.occurredAt = (b.occurredAt != null ? b.occurredAt : Instant.now()).truncatedTo(ChronoUnit.MICROS);
    }

    /**
     * Starts an event.
     *
     * @param aggregateType the kind of entity, e.g. {@code "Order"}; routes the event to a destination
     * @param aggregateId the entity's id; the ordering key and broker message key
     * @param type what happened, in the past tense, e.g. {@code "OrderPlaced"}
     * @throws OutboxException if a value is null, blank or longer than {@value #MAX_NAME_LENGTH} characters
     */
    public static Builder builder(String aggregateType, String aggregateId, String type) {
        return new Builder(
                requireName("event.aggregateType", aggregateType),
                requireName("event.aggregateId", aggregateId),
                requireName("event.type", type));
    }

    /** Unique id (UUIDv7 unless given); sent as the message id, consumers deduplicate on it. */
    public UUID id() {
        return id;
    }

    public String aggregateType() {
        return aggregateType;
    }

    public String aggregateId() {
        return aggregateId;
    }

    public String type() {
        return type;
    }

    /** The body, a JSON object or array. */
    public JsonStructure payload() {
        return payload;
    }

    /** The body as compact JSON text, as it is written to the database. */
    public String payloadJson() {
        return payloadJson;
    }

    /** Unmodifiable string headers, including trace context and correlation id when set. */
    public Map<String, String> headers() {
        return headers;
    }

    public Instant occurredAt() {
        return occurredAt;
    }

    public Optional<String> traceparent() {
        return Optional.ofNullable(headers.get(TRACEPARENT));
    }

    public Optional<String> correlationId() {
        return Optional.ofNullable(headers.get(CORRELATION_ID));
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof OutboxEvent e
                && id.equals(e.id)
                && aggregateType.equals(e.aggregateType)
                && aggregateId.equals(e.aggregateId)
                && type.equals(e.type)
                && payload.equals(e.payload)
                && headers.equals(e.headers)
                && occurredAt.equals(e.occurredAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, aggregateType, aggregateId, type, payload, headers, occurredAt);
    }

    /** Identifies the event without its payload or headers, which may hold personal data. */
    @Override
    public String toString() {
        return "OutboxEvent[id=" + id + ", aggregateType=" + aggregateType + ", aggregateId=" + aggregateId
                + ", type=" + type + ", occurredAt=" + occurredAt + "]";
    }

    private static String requireName(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new OutboxException(field + " must not be blank (was " + quote(value) + ")");
        }
        if (value.length() > MAX_NAME_LENGTH) {
            throw new OutboxException(field + " must be at most " + MAX_NAME_LENGTH
                    + " characters (was " + value.length() + ")");
        }
        requireNoNul(field, value);
        return value;
    }

    private static void requireNoNul(String field, String value) {
        if (value.indexOf('\0') >= 0) {
            throw new OutboxException(field + " must not contain the NUL character (U+0000):"
                    + " PostgreSQL text cannot store it");
        }
    }

    private static String quote(String value) {
        return value == null ? "null" : '"' + value + '"';
    }

    /**
     * Builds an {@link OutboxEvent}. Setters validate their argument at once; {@link #build()}
     * checks what depends on several settings (the payload against its size limit).
     * Not thread-safe; use one builder per event.
     */
    public static final class Builder {
        private final String aggregateType;
        private final String aggregateId;
        private final String type;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private UUID id;
        private JsonStructure payload;
        private Instant occurredAt;
        private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;

        private Builder(String aggregateType, String aggregateId, String type) {
            this.aggregateType = aggregateType;
            this.aggregateId = aggregateId;
            this.type = type;
        }

        /**
         * Sets the event id instead of a generated UUIDv7, e.g. to derive it from a request id so
         * that a retried request writes the same event (the primary key then rejects the copy).
         */
        public Builder id(UUID id) {
            this.id = Objects.requireNonNull(id, "event.id");
            return this;
        }

        /** The body: a JSON object or array. Required. */
        public Builder payload(JsonStructure payload) {
            if (payload == null) {
                throw new OutboxException("event.payload must not be null: pass a JSON object or array");
            }
            this.payload = payload;
            return this;
        }

        /**
         * The body as JSON text, parsed and validated here: it must be one JSON object or array,
         * without duplicate keys.
         *
         * @throws OutboxException if the text is not valid JSON or is a scalar
         */
        public Builder payload(String json) {
            this.payload = JsonCodec.parseStructure("event.payload", json);
            return this;
        }

        /**
         * Adds a string header. The name {@value OutboxEvent#TRACEPARENT} must hold a valid W3C
         * traceparent.
         */
        public Builder header(String name, String value) {
            requireName("event.headers name", name);
            if (value == null) {
                throw new OutboxException("event.headers." + name + " must not be null; leave the header out instead");
            }
            if (value.length() > MAX_HEADER_VALUE_LENGTH) {
                throw new OutboxException("event.headers." + name + " must be at most " + MAX_HEADER_VALUE_LENGTH
                        + " characters (was " + value.length() + ")");
            }
            requireNoNul("event.headers." + name, value);
            if (name.equals(TRACEPARENT) && !TRACEPARENT_FORMAT.matcher(value).matches()) {
                throw new OutboxException("event.headers.traceparent must be a W3C traceparent like"
                        + " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 (was " + quote(value) + ")");
            }
            headers.put(name, value);
            return this;
        }

        /** Adds every entry of {@code headers}, as {@link #header(String, String)} does. */
        public Builder headers(Map<String, String> headers) {
            headers.forEach(this::header);
            return this;
        }

        /** Stores the W3C trace context of the current span so consumers can continue the trace. */
        public Builder traceparent(String traceparent) {
            return header(TRACEPARENT, traceparent);
        }

        public Builder correlationId(String correlationId) {
            return header(CORRELATION_ID, correlationId);
        }

        /** When the event happened; defaults to the time of {@link #build()}. */
        public Builder occurredAt(Instant occurredAt) {
            this.occurredAt = Objects.requireNonNull(occurredAt, "event.occurredAt");
            return this;
        }

        /**
         * Largest accepted payload, in bytes of UTF-8 compact JSON; default
         * {@value OutboxEvent#DEFAULT_MAX_PAYLOAD_BYTES}. Large payloads slow the relay and many
         * brokers refuse them (Kafka's default limit is 1 MB): prefer sending a reference.
         */
        public Builder maxPayloadBytes(int maxPayloadBytes) {
            if (maxPayloadBytes < 2) {
                throw new OutboxException("event.maxPayloadBytes must be >= 2 (was " + maxPayloadBytes + ")");
            }
            this.maxPayloadBytes = maxPayloadBytes;
            return this;
        }

        /** @throws OutboxException if the payload is missing, too large or not storable */
        public OutboxEvent build() {
            if (payload == null) {
                throw new OutboxException("event.payload is required: call payload(...) with a JSON object or array"
                        + " (use {} for an event without data)");
            }
            String json = JsonCodec.write(payload);
            // Only the UTF-8 size is limited; counting chars first avoids encoding small payloads.
            if (json.length() > maxPayloadBytes / 3) {
                int bytes = json.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > maxPayloadBytes) {
                    throw new OutboxException("event.payload must be at most " + maxPayloadBytes + " bytes (was "
                            + bytes + " bytes); send a reference to large data instead, or raise"
                            + " maxPayloadBytes if the broker accepts such messages");
                }
            }
            if (JsonCodec.containsNulEscape(json)) {
                throw new OutboxException("event.payload must not contain the NUL character (\\u0000):"
                        + " PostgreSQL jsonb cannot store it");
            }
            return new OutboxEvent(this, json);
        }
    }
}
