package dev.outbox.spring;

import dev.outbox.core.Inbox;
import dev.outbox.core.OutboxException;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Makes a consumer's handling of an event idempotent inside the current Spring-managed
 * transaction: the first delivery of an event runs the work and records the event id in the
 * same transaction; a redelivery is skipped. If the work throws, the transaction rolls back
 * with the record, so a redelivery runs it again.
 *
 * <pre>{@code
 * @Transactional
 * public void on(OrderPlaced event) {
 *     inbox.receiveOnce("inventory", event.id(), () -> stock.reserve(event.orderId()));
 * }
 * }</pre>
 *
 * <p>Refused outside a transaction, as {@link TransactionalOutbox} is. Thread-safe.
 */
public final class TransactionalInbox {
    private final DataSource dataSource;
    private final String schema;
    private final Map<String, Inbox> byConsumer = new ConcurrentHashMap<>();

    /**
     * @param dataSource the data source of the transactions the consumers run in
     * @param schema the schema of the inbox table ({@code outbox.schema})
     */
    public TransactionalInbox(DataSource dataSource, String schema) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.schema = Objects.requireNonNull(schema, "schema");
    }

    /**
     * Runs {@code work} in the current transaction if {@code consumer} has not processed
     * {@code eventId} before, and records it as processed in the same transaction.
     *
     * @param consumer name of the consuming component, e.g. {@code "inventory"}
     * @return {@code true} if the work ran, {@code false} if the event was a duplicate
     * @throws OutboxException outside a transaction, or on a database error
     */
    public boolean receiveOnce(String consumer, UUID eventId, Runnable work) {
        Objects.requireNonNull(work, "work");
        Inbox inbox = byConsumer.computeIfAbsent(Objects.requireNonNull(consumer, "consumer"),
                c -> Inbox.builder(c).schema(schema).build());
        boolean[] ran = new boolean[1];
        TransactionalOutbox.inCurrentTransaction(dataSource, "TransactionalInbox.receiveOnce",
                c -> ran[0] = inbox.receiveOnce(c, eventId, ignored -> work.run()));
        return ran[0];
    }
}
