package dev.outbox.relay.spi;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Observes each {@link Transport#send} call of a relay, for tracing: {@code outbox-relay-opentelemetry}
 * starts a PRODUCER span per event and puts the span's trace context on the message. Passed to
 * {@code Relay.builder(…).tracing(…)}; a relay without one does none of this.
 *
 * <p><b>Who calls it.</b> The relay's dispatcher thread, once per transport call: {@link #start}
 * right before the call, {@link Send#end} once when it is over (acknowledged, refused, thrown,
 * timed out or abandoned because the relay stops), before the relay marks anything.
 *
 * <p><b>What it may change.</b> Only the headers of the messages the transport gets (e.g. the
 * {@code traceparent}); never which events are sent or their order. The stored event keeps its
 * headers. A {@link Send#messages()} that does not hold the same events in the same order is
 * ignored and the original batch is sent.
 *
 * <p><b>Failures.</b> Tracing never changes delivery: when {@link #start} or {@link Send#end}
 * throws, the relay logs it (at WARNING once, then at DEBUG) and sends, marks and retries exactly
 * as it would without tracing.
 */
public interface SendTracing {

    /**
     * A transport call is about to start.
     *
     * @param transport the transport the batch goes to (its {@link Transport#system()} and
     *        {@link Transport#destination(OutboxMessage)} name the messaging system and destination)
     * @param batch the messages of this call, in order
     * @return the call in progress; its {@link Send#messages()} go to the transport
     */
    Send start(Transport transport, List<OutboxMessage> batch);

    /** One transport call in progress. */
    interface Send {

        /** What to hand to the transport: the batch's events in its order, headers possibly changed. */
        List<OutboxMessage> messages();

        /**
         * The call is over; called once.
         *
         * @param results the transport's result per event id; an event without one was not
         *        acknowledged (the relay treats it as a retryable failure)
         * @param failure why the whole call failed (thrown, timed out, interrupted), or {@code null}
         *        when the transport returned results
         */
        void end(Map<UUID, SendResult> results, TransportException failure);
    }
}
