package dev.outbox.sample.consumers;

import dev.outbox.core.Inbox;
import dev.outbox.core.jdbi.JdbiInbox;
import org.jdbi.v3.core.Jdbi;

/**
 * Runs an {@link EventHandler} at most once per event: the inbox records {@code (consumer, event
 * id)} in the same transaction as the handler's effect. Called by the broker listeners for every
 * delivery; a duplicate is acknowledged without effect.
 *
 * <p>If the handler (or the commit) fails, the exception passes through and nothing of this
 * delivery is kept: the listener asks the broker to redeliver, and after its retries dead-letters it.
 */
public final class InboxConsumer {
    private final String name;
    private final Jdbi jdbi;
    private final JdbiInbox inbox;
    private final EventHandler handler;
    private final Trace trace;

    /**
     * @param name the consumer's name: its inbox records and its queue/consumer group are named after it
     */
    public InboxConsumer(String name, Jdbi jdbi, EventHandler handler, Trace trace) {
        this.name = name;
        this.jdbi = jdbi;
        this.inbox = JdbiInbox.of(Inbox.create(name));
        this.handler = handler;
        this.trace = trace;
    }

    public String name() {
        return name;
    }

    /** @return {@code true} if the event had its effect now, {@code false} if it was a duplicate */
    public boolean process(ReceivedEvent event) throws Exception {
        String[] effect = new String[1];
        // tag::consume[]
        boolean first = jdbi.inTransaction(handle ->
                inbox.receiveOnce(handle, event.id(), h -> effect[0] = handler.handle(h, event)));
        // end::consume[]
        if (first) {
            trace.line(name, event.shortId() + " " + event.type() + " v" + event.version() + ": " + effect[0]);
        } else {
            trace.line(name, event.shortId() + " " + event.type() + ": duplicate ignored (already in the inbox)");
        }
        return first;
    }
}
