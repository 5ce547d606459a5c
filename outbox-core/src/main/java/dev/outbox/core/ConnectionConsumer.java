package dev.outbox.core;

import java.sql.Connection;

/**
 * Work to run on the caller's connection, inside the caller's transaction, such as a
 * consumer's side effect in {@link Inbox#receiveOnce(Connection, java.util.UUID, ConnectionConsumer)}.
 *
 * @param <X> a checked exception the work may throw; it passes through unchanged
 */
@FunctionalInterface
public interface ConnectionConsumer<X extends Exception> {
    void useConnection(Connection connection) throws X;
}
