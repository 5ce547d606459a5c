package dev.outbox.relay.testing;

import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A test transport backed by a real table, {@code sink}: acknowledging an event means its row
 * was committed there, as a broker acknowledges a durable write. Tests read the table as an
 * independent consumer would read a topic: what arrived, in which order, how often.
 *
 * <p>It can be told to fail events (per event, retryable or not), to fail whole batches, to be
 * slow or to hang.
 */
public final class SinkTransport implements Transport {
    public static final String TABLE_DDL = "CREATE TABLE IF NOT EXISTS sink ("
            + " received bigserial PRIMARY KEY, event_id uuid NOT NULL, aggregatetype text NOT NULL,"
            + " aggregateid text NOT NULL, seq bigint NOT NULL, type text NOT NULL, attempt int NOT NULL,"
            + " payload text NOT NULL, headers text NOT NULL, sender text NOT NULL)";

    private final String jdbcUrl;
    private final String sender;
    private volatile Function<OutboxMessage, TransportException> failures = m -> null;
    private volatile TransportException batchFailure;
    private volatile Duration delay = Duration.ZERO;
    private volatile Duration delayPerEvent = Duration.ZERO;
    private volatile CountDownLatch hang;
    private volatile boolean keepsOrder;
    private final AtomicInteger calls = new AtomicInteger();
    private Connection connection;

    /**
     * @param jdbcUrl the database holding the {@code sink} table (created if missing)
     * @param sender recorded with every row, to tell relay instances apart
     */
    public SinkTransport(String jdbcUrl, String sender) {
        this.jdbcUrl = jdbcUrl;
        this.sender = sender;
    }

    /** Per-event failures: return an exception to fail that event, null to deliver it. */
    public SinkTransport failing(Function<OutboxMessage, TransportException> failures) {
        this.failures = failures;
        return this;
    }

    /** Fails every batch as a whole (broker unreachable) until called with null. */
    public SinkTransport failingBatches(TransportException failure) {
        this.batchFailure = failure;
        return this;
    }

    public SinkTransport slow(Duration delay) {
        this.delay = delay;
        return this;
    }

    /** Takes this long for each event, so that a batch is in flight for a while (crash tests). */
    public SinkTransport slowPerEvent(Duration delayPerEvent) {
        this.delayPerEvent = delayPerEvent;
        return this;
    }

    /** Every call blocks until {@link #release()}, ignoring interrupts like a stuck client would. */
    public SinkTransport hanging() {
        this.hang = new CountDownLatch(1);
        return this;
    }

    /**
     * Declares {@link #keepsOrderWithinBatch}: the relay then hands over whole batches, several
     * events per key. True to the sink: it writes a batch's rows one after the other, in order.
     */
    public SinkTransport keepingOrderWithinBatch() {
        this.keepsOrder = true;
        return this;
    }

    @Override
    public boolean keepsOrderWithinBatch() {
        return keepsOrder;
    }

    public void release() {
        CountDownLatch latch = hang;
        hang = null;
        if (latch != null) {
            latch.countDown();
        }
    }

    /** How many times {@link #send} was called. */
    public int calls() {
        return calls.get();
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        calls.incrementAndGet();
        CountDownLatch latch = hang;
        if (latch != null) {
            awaitUninterruptibly(latch);
        }
        if (!delay.isZero()) {
            sleep(delay);
        }
        TransportException whole = batchFailure;
        if (whole != null) {
            throw whole;
        }
        return write(batch);
    }

    private synchronized List<SendResult> write(List<OutboxMessage> batch) {
        List<SendResult> results = new ArrayList<>(batch.size());
        try {
            Connection c = connection();
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO sink (event_id, aggregatetype, aggregateid,"
                    + " seq, type, attempt, payload, headers, sender) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (OutboxMessage m : batch) {
                    TransportException failure = failures.apply(m);
                    if (failure != null) {
                        results.add(SendResult.failed(m.id(), failure));
                        continue;
                    }
                    if (!delayPerEvent.isZero()) {
                        sleep(delayPerEvent);
                    }
                    insert.setObject(1, m.id());
                    insert.setString(2, m.aggregateType());
                    insert.setString(3, m.aggregateId());
                    insert.setLong(4, m.seq());
                    insert.setString(5, m.type());
                    insert.setInt(6, m.attempt());
                    insert.setString(7, m.payload());
                    insert.setString(8, m.headers().toString());
                    insert.setString(9, sender);
                    insert.executeUpdate(); // auto-commit: durable before we acknowledge
                    results.add(SendResult.acknowledged(m.id()));
                }
            }
        } catch (SQLException e) {
            closeConnection();
            throw TransportException.retryable("sink database unavailable: " + e.getMessage(), e);
        }
        return results;
    }

    /** Simulates a slow broker; not test synchronisation. */
    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw TransportException.retryable("interrupted", e);
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            connection = DriverManager.getConnection(jdbcUrl);
            try (Statement s = connection.createStatement()) {
                s.execute(TABLE_DDL);
            }
        }
        return connection;
    }

    private void closeConnection() {
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (SQLException ignored) {
            // reopened on the next send
        }
        connection = null;
    }

    /** Waits for the latch, ignoring interrupts like a stuck client would. */
    public static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        closeConnection();
    }
}
