package dev.outbox.bench;

import dev.outbox.relay.spi.OutboxMessage;
import java.util.List;
import java.util.Map;

/**
 * A broker destination that the relay is compared on ({@link Targets#compare}): how to create and
 * remove a fresh destination per run, how the sidecar would be configured for it, and the
 * hand-written publisher with the broker's own client that is the relay's ceiling there.
 */
public interface Target extends AutoCloseable {

    /** E.g. {@code sqs, FIFO queue}: the transport first. */
    String label();

    /** The transport's name ({@code OUTBOX_TRANSPORT}). */
    String transport();

    EventSpec events();

    /** A valid destination name from a plain one ({@code bench-ab12cd-sqs-1-relay}): FIFO queues add {@code .fifo}. */
    default String destination(String plain) {
        return plain;
    }

    void create(String destination) throws Exception;

    void delete(String destination);

    /** The transport's keys as in the sidecar's environment, routing every event to {@code destination}. */
    Map<String, String> transportEnv(String destination);

    /** Sends the events with the broker's own client, as fast as it can with the same guarantees; timed. */
    Measurement byHand(String destination, List<OutboxMessage> messages) throws Exception;

    /**
     * Checks afterwards that {@code destination} got {@code expected} messages, where the broker
     * can tell.
     *
     * @return a note for the report when it got more (a batch sent again after an outage: the
     *         relay's duplicates, never loss), else empty
     * @throws IllegalStateException if it got fewer
     */
    default String verify(String destination, long expected) throws Exception {
        return "";
    }

    /** The note of {@link #verify} for a count, or the failure. */
    static String counted(String destination, long count, long expected) {
        if (count < expected) {
            throw new IllegalStateException(destination + " holds " + count + " messages, expected " + expected);
        }
        return count == expected ? "" : (count - expected) + " duplicates in " + destination;
    }

    /** What the hand-written publisher does, for the report. */
    String handDescription();

    /** Versions and settings for the report. */
    Map<String, String> settings();

    @Override
    void close();
}
