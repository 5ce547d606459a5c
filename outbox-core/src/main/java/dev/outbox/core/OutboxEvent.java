package dev.outbox.core;

import dev.outbox.core.internal.JsonCodec;
import dev.outbox.core.internal.StoredText;
import dev.outbox.core.internal.UuidV7;
import jakarta.json.JsonStructure;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One event to write to the outbox: what happened ({@link #type()}) to which entity
 * ({@link #aggregateType()}, {@link #aggregateId()}), with a JSON body and string headers.
 *
 * <p>Immutable and validated when built: an instance that exists can be written. Build one with
 * {@link #builder(String, String, String)}; invalid input fails there with an
 * {@link OutboxException} that names the field, the rule and the value. The rules are the
 * schema's (the rules {@code sql/} enforces under their {@code event_*_check} names, and what
 * PostgreSQL's text, jsonb and timestamptz can store), so the Java writer and a plain-SQL writer
 * accept and refuse the same events; the writer only adds rules the database cannot check: no
 * duplicate JSON keys (jsonb would keep the last one), header values of at most
 * {@value #MAX_HEADER_VALUE_LENGTH} characters, a valid W3C {@code traceparent}.
 *
 * <p>Events with the same {@code (aggregateType, aggregateId)} are delivered in the order they
 * were written; the aggregate id is also the broker message key.
 */
public final class OutboxEvent {
    /**
     * Largest payload the schema stores (CHECK {@code event_payload_size_check}): 1 MiB of JSON text
     * as PostgreSQL prints it, {@code octet_length(payload::text)}, which is what the relay reads
     * and sends. {@link Builder#maxPayloadBytes(int)} may set a lower limit, never a higher one.
     */
    public static final int MAX_PAYLOAD_BYTES = 1 << 20;
    /** Default limit of {@link Builder#maxPayloadBytes(int)}: the schema's {@link #MAX_PAYLOAD_BYTES}. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = MAX_PAYLOAD_BYTES;
    /**
     * Deepest nesting of objects and arrays in a payload, the outermost counting as 1 (CHECK
     * {@code event_payload_depth_check}). Consumers' parsers refuse deeper documents (.NET's stop at
     * 64), PostgreSQL's own parser from about 13,000 levels.
     */
    public static final int MAX_PAYLOAD_DEPTH = 64;
    /** Largest headers object, as PostgreSQL prints it (CHECK {@code event_headers_size_check}): 64 KiB. */
    public static final int MAX_HEADERS_BYTES = 64 * 1024;
    /**
     * Maximum length in characters (Unicode code points, as PostgreSQL's {@code length} counts) of
     * the aggregate type, aggregate id, event type and header names.
     */
    public static final int MAX_NAME_LENGTH = 255;
    /** Maximum length in characters (code points) of a header value. */
    public static final int MAX_HEADER_VALUE_LENGTH = 8192;
    /**
     * Earliest {@link Builder#occurredAt(Instant)}: the start of year 1 (CHECK
     * {@code event_occurred_at_check}). RFC 3339, the format of CloudEvents' {@code time}, has
     * four-digit years only.
     */
    public static final Instant EARLIEST_OCCURRED_AT = Instant.parse("0001-01-01T00:00:00Z");
    /** Latest {@link Builder#occurredAt(Instant)}: the last microsecond of year 9999. */
    public static final Instant LATEST_OCCURRED_AT = Instant.parse("9999-12-31T23:59:59.999999Z");
    /** Header holding the W3C Trace Context {@code traceparent}. */
    public static final String TRACEPARENT = "traceparent";
    /** Header holding the W3C Trace Context {@code tracestate}. */
    public static final String TRACESTATE = "tracestate";
    /**
     * Header holding the correlation id. Spelled as a valid CloudEvents extension attribute name
     * (lower-case letters and digits only) so transports can send it as one unchanged.
     */
    public static final String CORRELATION_ID = "correlationid";


    private final UUID id;
    private final String aggregateType;
    private final String aggregateId;
    private final String type;
    // Parsed on first use when the payload was given as text: writing it needs only the text.
    private volatile JsonStructure payload;
    private final String payloadJson;
    private final Map<String, String> headers;
    private final String headersJson;
    private final Instant occurredAt;

    private OutboxEvent(Builder b, String payloadJson) {
        this.id = b.id != null ? b.id : UuidV7.system().next();
        this.aggregateType = b.aggregateType;
        this.aggregateId = b.aggregateId;
        this.type = b.type;
        this.payload = b.payload;
        this.payloadJson = payloadJson;
        this.headers = Map.copyOf(b.headers);
        this.headersJson = JsonCodec.writeHeaders(headers);
        // PostgreSQL keeps microseconds; truncating here makes a read-back event equal this one.
        this.occurredAt = (b.occurredAt != null ? b.occurredAt : Instant.now()).truncatedTo(ChronoUnit.MICROS);
    }

    /** A copy of {@code event} with other (validated) headers. */
    private OutboxEvent(OutboxEvent event, Map<String, String> headers) {
        this.id = event.id;
        this.aggregateType = event.aggregateType;
        this.aggregateId = event.aggregateId;
        this.type = event.type;
        this.payload = event.payload;
        this.payloadJson = event.payloadJson;
        this.headers = Map.copyOf(headers);
        this.headersJson = JsonCodec.writeHeaders(this.headers);
        this.occurredAt = event.occurredAt;
    }

    /**
     * Starts an event.
     *
     * @param aggregateType the kind of entity, e.g. {@code "Order"}; routes the event to a destination
     * @param aggregateId the entity's id; the ordering key and broker message key
     * @param type what happened, in the past tense, e.g. {@code "OrderPlaced"}
     * @throws OutboxException if a value is null, only whitespace (as {@link Character#isWhitespace(int)}
     *     defines it: tabs and newlines too), longer than {@value #MAX_NAME_LENGTH} characters, or not
     *     storable (an unpaired surrogate, NUL). Other control characters are allowed.
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
        JsonStructure parsed = payload;
        if (parsed == null) { // checked when built: parsing cannot fail
            payload = parsed = JsonCodec.parseStructure("event.payload", payloadJson);
        }
        return parsed;
    }

    /**
     * The body as JSON text, as it is written to the database: the text given to
     * {@link Builder#payload(String)} unchanged (jsonb reads it as the same value as its compact
     * form), or the compact text of the structure given to {@link Builder#payload(JsonStructure)}.
     */
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

    /**
     * This event with the headers of the writer's current context ({@link dev.outbox.core.spi.ContextHeaders})
     * added where it has none of that name; itself when nothing is added. The added headers pass
     * the checks of {@link Builder#header(String, String)} and {@link Builder#build()}.
     *
     * @throws OutboxException if a supplied header breaks a rule (nothing is added then)
     */
    OutboxEvent withContext(Map<String, String> context) {
        Map<String, String> merged = null;
        for (Map.Entry<String, String> header : context.entrySet()) {
            String name = header.getKey();
            if (!headers.containsKey(name)) {
                checkHeader(name, header.getValue());
                if (merged == null) {
                    merged = new LinkedHashMap<>(headers);
                }
                merged.put(name, header.getValue());
            }
        }
        if (merged == null) {
            return this;
        }
        checkHeadersSize(merged);
        return new OutboxEvent(this, merged);
    }

    /** The headers as the JSON object text written to the database. */
    String headersJson() {
        return headersJson;
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof OutboxEvent e
                && id.equals(e.id)
                && aggregateType.equals(e.aggregateType)
                && aggregateId.equals(e.aggregateId)
                && type.equals(e.type)
                && payload().equals(e.payload())
                && headers.equals(e.headers)
                && occurredAt.equals(e.occurredAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, aggregateType, aggregateId, type, payload(), headers, occurredAt);
    }

    /** Identifies the event without its payload or headers, which may hold personal data. */
    @Override
    public String toString() {
        return "OutboxEvent[id=" + id + ", aggregateType=" + aggregateType + ", aggregateId=" + aggregateId
                + ", type=" + type + ", occurredAt=" + occurredAt + "]";
    }

    private static String requireName(String field, String value) {
        if (value == null || StoredText.isBlank(value)) {
            throw new OutboxException(field + " must not be blank: it needs a character that is not whitespace (was "
                    + quote(value) + ")");
        }
        requireText(field, value, MAX_NAME_LENGTH);
        return value;
    }

    /** The rules PostgreSQL's text and the length CHECKs apply to a string. */
    private static void requireText(String field, String value, int maxLength) {
        int length = StoredText.length(value);
        if (length > maxLength) {
            throw new OutboxException(field + " must be at most " + maxLength + " characters (was " + length + ")");
        }
        if (value.indexOf('\0') >= 0) {
            throw new OutboxException(field + " must not contain the NUL character (U+0000):"
                    + " PostgreSQL text cannot store it");
        }
        StoredText.requireWellFormed(field, value);
    }

    /**
     * W3C Trace Context level 1: version-traceid-parentid-flags (2-32-16-2), lower-case hex. Version
     * ff is invalid, as are all-zero trace and parent ids. (A loop rather than a regular
     * expression: it runs for nearly every event, and the expression cost more than the rest of
     * the header.)
     */
    static boolean isTraceparent(String value) {
        if (value.length() != 55 || value.charAt(2) != '-' || value.charAt(35) != '-' || value.charAt(52) != '-'
                || value.startsWith("ff")) {
            return false;
        }
        boolean zeroTrace = true;
        boolean zeroParent = true;
        for (int i = 0; i < 55; i++) {
            char c = value.charAt(i);
            if (i == 2 || i == 35 || i == 52) {
                continue;
            }
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
            if (c != '0') {
                zeroTrace &= i < 3 || i > 34;
                zeroParent &= i < 36 || i > 51;
            }
        }
        return !zeroTrace && !zeroParent;
    }

    private static void checkHeader(String name, String value) {
        requireName("event.headers name", name);
        if (value == null) {
            throw new OutboxException("event.headers." + name + " must not be null; leave the header out instead");
        }
        requireText("event.headers." + name, value, MAX_HEADER_VALUE_LENGTH);
        if (name.equals(TRACEPARENT) && !isTraceparent(value)) {
            throw new OutboxException("event.headers.traceparent must be a W3C traceparent like"
                    + " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 (was " + quote(value) + ")");
        }
    }

    private static void checkHeadersSize(Map<String, String> headers) {
        long headerBytes = StoredText.printedSize(headers);
        if (headerBytes > MAX_HEADERS_BYTES) {
            throw new OutboxException("event.headers must be at most " + MAX_HEADERS_BYTES + " bytes of JSON as"
                    + " PostgreSQL prints them, octet_length(headers::text) (was " + headerBytes
                    + " bytes; CHECK event_headers_size_check)");
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
        private JsonStructure payload; // one of these two is set by payload(…)
        private JsonCodec.PayloadText payloadText;
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
            this.payloadText = null;
            return this;
        }

        /**
         * The body as JSON text, validated here: it must be one JSON object or array, without
         * duplicate keys. What PostgreSQL cannot store (a NUL, an unpaired surrogate, a number
         * beyond numeric, too much nesting or size) fails here or in {@link #build()}. The text is
         * stored as given, with no tree built and no text re-written: jsonb reads it as the same
         * value, and {@link OutboxEvent#payload()} parses it only when asked.
         *
         * @throws OutboxException if the text is not valid JSON or is a scalar
         */
        public Builder payload(String json) {
            this.payloadText = JsonCodec.scanPayload("event.payload", json);
            this.payload = null;
            return this;
        }

        /**
         * Adds a string header. The name {@value OutboxEvent#TRACEPARENT} must hold a valid W3C
         * traceparent.
         */
        public Builder header(String name, String value) {
            checkHeader(name, value);
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

        /**
         * When the event happened; defaults to the time of {@link #build()}. Kept to the microsecond
         * (PostgreSQL's precision).
         *
         * @throws OutboxException outside {@link OutboxEvent#EARLIEST_OCCURRED_AT} ..
         *     {@link OutboxEvent#LATEST_OCCURRED_AT} (years 0001 to 9999)
         */
        public Builder occurredAt(Instant occurredAt) {
            if (occurredAt == null) {
                throw new OutboxException("event.occurredAt must not be null; leave it unset for the time of build()");
            }
            if (occurredAt.isBefore(EARLIEST_OCCURRED_AT) || occurredAt.isAfter(LATEST_OCCURRED_AT)) {
                throw new OutboxException("event.occurredAt must be in the years 0001 to 9999 (was " + occurredAt
                        + "): the schema refuses other times (CHECK event_occurred_at_check) because RFC 3339,"
                        + " the format brokers receive, cannot write them");
            }
            this.occurredAt = occurredAt;
            return this;
        }

        /**
         * Largest accepted payload, in bytes of its JSON text as PostgreSQL prints it
         * ({@code octet_length(payload::text)}: UTF-8, with {@code ": "} and {@code ", "}
         * separators and numbers in plain notation); default and maximum
         * {@value OutboxEvent#MAX_PAYLOAD_BYTES}, the schema's limit. Large payloads slow the relay
         * and many brokers refuse them (Kafka's default limit is 1 MB): prefer sending a reference.
         *
         * @throws OutboxException below 2 or above {@value OutboxEvent#MAX_PAYLOAD_BYTES}
         */
        public Builder maxPayloadBytes(int maxPayloadBytes) {
            if (maxPayloadBytes < 2 || maxPayloadBytes > MAX_PAYLOAD_BYTES) {
                throw new OutboxException("event.maxPayloadBytes must be between 2 and " + MAX_PAYLOAD_BYTES
                        + " (was " + maxPayloadBytes + "): it may lower the schema's limit, never raise it"
                        + " (CHECK event_payload_size_check refuses larger payloads)");
            }
            this.maxPayloadBytes = maxPayloadBytes;
            return this;
        }

        /** For reading stored rows back: rows written before V4's size check may be larger. */
        Builder stored() {
            this.maxPayloadBytes = Integer.MAX_VALUE;
            return this;
        }

        /** @throws OutboxException if the payload is missing, too large, too deep or not storable */
        public OutboxEvent build() {
            if (payload == null && payloadText == null) {
                throw new OutboxException("event.payload is required: call payload(...) with a JSON object or array"
                        + " (use {} for an event without data)");
            }
            if (payloadText != null && payloadText.problem() != null) {
                throw new OutboxException(payloadText.problem());
            }
            // Checked before writing: the walk refuses nesting the recursive writer could not handle.
            long printed = payloadText != null ? payloadText.printedSize() : StoredText.printedSize("event.payload", payload);
            if (printed > maxPayloadBytes) {
                throw new OutboxException("event.payload must be at most " + maxPayloadBytes + " bytes of JSON as"
                        + " PostgreSQL prints it, octet_length(payload::text) (was " + printed + " bytes)"
                        + (maxPayloadBytes < MAX_PAYLOAD_BYTES
                                ? "; this builder's maxPayloadBytes; the schema allows " + MAX_PAYLOAD_BYTES
                                : "; the schema's limit, CHECK event_payload_size_check, which no writer can raise")
                        + ". Send a reference to large data instead");
            }
            checkHeadersSize(headers);
            return new OutboxEvent(this, payloadText != null ? payloadText.json() : JsonCodec.write(payload));
        }
    }
}
