package dev.outbox.relay.spi;

import java.util.List;

/**
 * Delivers outbox events to a broker. Implement this (and a {@link TransportFactory}) to add a
 * destination; the relay takes care of claiming, ordering, retries and marking.
 *
 * <p><b>Contract.</b> {@link #send} returns only when every message of the batch is either
 * acknowledged by the broker (durably accepted: broker ack, publisher confirm, 2xx) or failed.
 * Report an event as acknowledged only when it is: the relay then marks it published and never
 * sends it again. Return one {@link SendResult} per message; a message without a result counts
 * as a retryable failure.
 *
 * <p><b>Ordering.</b> By default a batch holds at most one event per ordering key, so a transport
 * may send the messages of a batch concurrently; the relay sends the next event of a key only
 * after the previous one was acknowledged (one round trip per event of a key). A transport whose
 * destination stores the messages of one call in list order per key (one producer, one
 * connection or channel, requests pipelined in order) says so with {@link #keepsOrderWithinBatch}
 * and gets the whole claimed batch in one call, several events per key in write order.
 *
 * <p><b>Failures: outage or refusal.</b> When the destination cannot be reached or does not
 * answer, that is an outage of the destination, never the event's fault: the relay charges no
 * attempt, leaves the events unmarked, holds back later events of their keys and pauses the
 * transport with backoff ({@code TRANSPORT_PAUSED} in {@link dev.outbox.relay.RelayStats#state()})
 * until a send goes through. Report it by
 * <ul>
 *   <li>throwing a {@link TransportException} (any) when nothing of the batch could be sent
 *       (broker down, connection refused); the relay's own send timeout counts the same;</li>
 *   <li>or, for single events while others of the batch were acknowledged, a result failed with
 *       {@link TransportException#outage} (connection reset or refused, timeout, no metadata):
 *       the acknowledged events are still marked.</li>
 * </ul>
 * {@link SendResult#wholeBatchFailure} tells the two apart from a batch's results; {@link Acks}
 * waits for a batch's acknowledgements against one deadline. Only an answer of the destination that refuses this event ({@link TransportException#retryable}
 * for "try again later", {@link TransportException#permanent} for "never", e.g. too large,
 * unroutable, HTTP 400) is charged to it, and a non-retryable one makes it dead after
 * {@code maxNonRetryableAttempts}. The relay bounds each call with a timeout and interrupts a
 * call that exceeds it; a transport's {@link #close} gets what is left of the relay's shutdown
 * timeout and is abandoned after it.
 *
 * <p><b>Size.</b> The relay hands a transport at most {@code batchMaxBytes} of payload and
 * headers per claim; an event larger than that never reaches a transport (it is dead). An event
 * larger than the destination accepts must be failed as non-retryable, not thrown.
 *
 * <p>A transport is used by one relay thread at a time and closed when the relay stops.
 */
public interface Transport extends AutoCloseable {

    /**
     * Sends a batch and waits for the broker's acknowledgements.
     *
     * @param batch one or more messages in write order; at most one per ordering key unless
     *              {@link #keepsOrderWithinBatch} is true
     * @return one result per message
     * @throws TransportException if nothing of the batch could be sent (an outage: nothing is charged)
     */
    List<SendResult> send(List<OutboxMessage> batch);

    /**
     * Whether the destination stores the messages of one {@link #send} call in list order per
     * ordering key: if message <i>b</i> follows <i>a</i> of the same key in the list, the
     * destination never stores <i>b</i> before <i>a</i> (Kafka's idempotent producer with at most
     * 5 requests in flight does, per partition; a pipeline on one connection does). A later
     * message may still be stored when an earlier one of its key failed: the relay then marks
     * nothing of that key after the failed one and sends those events again after it (duplicates).
     * Return {@code false} (the default) when messages are sent concurrently on several
     * connections or requests.
     */
    default boolean keepsOrderWithinBatch() {
        return false;
    }

    /**
     * The messaging system, for telemetry: OpenTelemetry's {@code messaging.system} ({@code kafka},
     * {@code rabbitmq}, …), or {@code null} when unknown (the default).
     */
    default String system() {
        return null;
    }

    /**
     * Where this transport would send {@code message} (topic, exchange, subject, stream), for
     * telemetry ({@code messaging.destination.name}); {@code null} when unknown or unroutable (the
     * default). Must be cheap, must not throw, and must never return a secret (no URL with
     * credentials).
     */
    default String destination(OutboxMessage message) {
        return null;
    }

    /**
     * Releases connections; called once, when the relay stops, possibly while a send that the
     * relay gave up on is still blocked. Should not block for long: the relay stops waiting for
     * it at its shutdown timeout.
     */
    @Override
    default void close() {
    }
}
