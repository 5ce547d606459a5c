package dev.outbox.sample.consumers;

import org.jdbi.v3.core.Handle;

/**
 * A consumer's business logic for one event, run by {@link InboxConsumer} inside the consumer's
 * transaction and only for the first delivery of the event. Throwing rolls the whole
 * transaction back (the inbox record included), so the broker's redelivery runs it again.
 */
@FunctionalInterface
public interface EventHandler {
    /**
     * @return a short description of the effect, for the trace (printed after the commit)
     */
    String handle(Handle handle, ReceivedEvent event) throws Exception;
}
