package dev.outbox.core.jdbi;

import dev.outbox.core.Outbox;
import dev.outbox.core.OutboxEvent;
import java.util.Collection;
import java.util.Objects;
import org.jdbi.v3.core.Handle;

/**
 * An {@link Outbox} for Jdbi: writes events in the {@link Handle}'s current transaction.
 *
 * <pre>{@code
 * JdbiOutbox outbox = JdbiOutbox.of(Outbox.create());
 * jdbi.useTransaction(handle -> {
 *     handle.execute("INSERT INTO orders …");
 *     outbox.append(handle, event);
 * });
 * }</pre>
 *
 * Same guarantees and failures as {@link Outbox}: it never commits or rolls back the handle's
 * transaction. Immutable and thread-safe.
 */
public final class JdbiOutbox {
    private final Outbox outbox;

    private JdbiOutbox(Outbox outbox) {
        this.outbox = Objects.requireNonNull(outbox, "outbox");
    }

    public static JdbiOutbox of(Outbox outbox) {
        return new JdbiOutbox(outbox);
    }

    /** Writes one event in the handle's transaction, in one round trip. */
    public void append(Handle handle, OutboxEvent event) {
        outbox.append(handle.getConnection(), event);
    }

    /** Writes events in the handle's transaction, in one batched round trip; all or none. */
    public void appendAll(Handle handle, Collection<OutboxEvent> events) {
        outbox.appendAll(handle.getConnection(), events);
    }
}
