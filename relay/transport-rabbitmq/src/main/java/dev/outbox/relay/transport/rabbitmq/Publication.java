package dev.outbox.relay.transport.rabbitmq;

import com.rabbitmq.client.AMQP;
import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.transport.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One event as an AMQP 0-9-1 message, in CloudEvents binary content mode of the AMQP protocol
 * binding: every context attribute except {@code datacontenttype} is a header
 * {@code cloudEvents:<name>}, {@code datacontenttype} is the {@code content-type} property, the
 * payload's JSON bytes are the body, unchanged. Stored headers that are not attribute names
 * ({@link CloudEvent#otherHeaders()}) travel as plain headers, unprefixed.
 *
 * <p>Properties: {@code message-id} = event id (also how a returned message is matched to its
 * event), {@code type} = event type, {@code timestamp} = occurred_at (AMQP keeps whole seconds;
 * {@code cloudEvents:time} has the full precision), {@code delivery-mode} = 2 (persistent).
 *
 * @param message the event
 * @param exchange where it is published
 * @param routingKey its routing key
 * @param properties its AMQP properties, headers included
 * @param body the payload's UTF-8 bytes
 */
record Publication(OutboxMessage message, String exchange, String routingKey, AMQP.BasicProperties properties,
                   byte[] body) {
    /** Prefix of CloudEvents attributes in AMQP headers (CloudEvents AMQP protocol binding 1.0). */
    static final String PREFIX = "cloudEvents:";
    static final int PERSISTENT = 2;
    /** AMQP short strings (names, routing keys, property values, header names) hold at most 255 bytes. */
    private static final int MAX_SHORT_STRING = 255;

    /**
     * Maps an event to its message.
     *
     * @throws TransportException (non-retryable) when the event cannot be published as it is: no
     *         route, or a name longer than AMQP allows
     */
    static Publication of(OutboxMessage m, RabbitMqSettings settings) {
        String exchange;
        String routingKey;
        try {
            exchange = settings.exchanges().destination(m);
            routingKey = settings.routingKeys().destination(m);
        } catch (OutboxException e) {
            throw TransportException.permanent(e.getMessage(), e);
        }
        CloudEvent event = CloudEvent.of(m, settings.source());
        Map<String, Object> headers = new LinkedHashMap<>();
        // Attributes last, so that a stored header spelled like one ("cloudEvents:id") cannot shadow it.
        event.otherHeaders().forEach(headers::put);
        event.attributes().forEach((name, value) -> {
            if (!name.equals("datacontenttype")) {
                headers.put(PREFIX + name, value);
            }
        });
        checkShortString("exchange name", exchange);
        checkShortString("routing key", routingKey);
        checkShortString("event type", m.type());
        for (String name : headers.keySet()) {
            checkShortString("header name", name);
        }
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .messageId(event.id())
                .type(m.type())
                .contentType(event.attributes().get("datacontenttype"))
                .timestamp(Date.from(m.occurredAt()))
                .deliveryMode(PERSISTENT)
                .headers(headers)
                .build();
        return new Publication(m, exchange, routingKey, properties, event.dataBytes());
    }

    // The client would fail half-way through writing the frames, which breaks the connection for
    // every other event; refusing the one event up front keeps the batch going.
    private static void checkShortString(String what, String value) {
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SHORT_STRING) {
            throw TransportException.permanent(what + " must be at most " + MAX_SHORT_STRING
                    + " bytes in UTF-8 for AMQP (was " + bytes + " bytes: \"" + value.substring(0, Math.min(40, value.length())) + "…\")", null);
        }
    }
}
