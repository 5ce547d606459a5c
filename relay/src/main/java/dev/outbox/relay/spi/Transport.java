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
 * <p><b>Ordering.</b> A batch holds at most one event per ordering key, so a transport may send
 * the messages of a batch concurrently. The relay sends the next event of a key only after the
 * previous one was acknowledged.
 *
 * <p><b>Failures.</b> Throw a {@link TransportException} when the whole batch failed (broker
 * unreachable): the relay backs off and retries without charging the events an attempt. Report
 * per-event failures in the results, with {@link TransportException#retryable()} telling whether
 * another attempt can succeed. The relay bounds each call with a timeout and interrupts a call
 * that exceeds it.
 *
 * <p>A transport is used by one relay thread at a time and closed when the relay stops.
 */
public interface Transport extends AutoCloseable {

    /**
     * Sends a batch and waits for the broker's acknowledgements.
     *
     * @param batch one or more messages, at most one per ordering key
     * @return one result per message
     * @throws TransportException if nothing of the batch could be sent
     */
    List<SendResult> send(List<OutboxMessage> batch);

    /** Releases connections; called once, when the relay stops. */
    @Override
    default void close() {
    }
}
