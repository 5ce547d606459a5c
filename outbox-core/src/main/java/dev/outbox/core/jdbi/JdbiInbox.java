package dev.outbox.core.jdbi;

import dev.outbox.core.Inbox;
import java.util.Objects;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleConsumer;

/**
 * An {@link Inbox} for Jdbi: runs a consumer's work in the {@link Handle}'s transaction only the
 * first time an event is seen. Same guarantees and failures as
 * {@link Inbox#receiveOnce(java.sql.Connection, UUID, dev.outbox.core.ConnectionConsumer)}:
 * the handle must be in a transaction ({@code jdbi.inTransaction(…)}); if the work throws, the
 * exception passes through and the transaction must roll back. Immutable and thread-safe.
 */
public final class JdbiInbox {
    private final Inbox inbox;

    private JdbiInbox(Inbox inbox) {
        this.inbox = Objects.requireNonNull(inbox, "inbox");
    }

    public static JdbiInbox of(Inbox inbox) {
        return new JdbiInbox(inbox);
    }

    /** @return {@code true} if the work ran, {@code false} if the event was a duplicate */
    public <X extends Exception> boolean receiveOnce(Handle handle, UUID eventId, HandleConsumer<X> work) throws X {
        Objects.requireNonNull(work, "work");
        return inbox.receiveOnce(handle.getConnection(), eventId, connection -> work.useHandle(handle));
    }
}
