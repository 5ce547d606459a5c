package dev.outbox.relay.transport.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.ReturnListener;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.TransportException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The publisher confirms, returns and channel shutdown of one round of publishes on one channel
 * in confirm mode. The client calls the listener methods on its connection thread, in the order
 * the broker sent the frames; the publishing thread registers each message before publishing it
 * and then {@linkplain #await waits}.
 *
 * <p>Why returns are tracked: RabbitMQ answers an unroutable mandatory message with a
 * {@code basic.return} <em>followed by</em> a {@code basic.ack} (the message was handled: there
 * was nowhere to put it). Both arrive on the same channel in that order, so when the ack of a
 * delivery tag is processed, its return, if any, has been recorded under the message id, and the
 * message is reported as a non-retryable failure instead of acknowledged.
 */
final class Confirms implements ConfirmListener, ReturnListener, ShutdownListener {
    private final Object lock = new Object();
    private final NavigableMap<Long, Publication> unconfirmed = new TreeMap<>();
    private final Map<String, String> returned = new HashMap<>();
    private final Map<UUID, SendResult> outcomes = new HashMap<>();
    private ShutdownSignalException shutdown;

    /** Registers a message before it is published with sequence number {@code seqNo}. */
    void expect(long seqNo, Publication p) {
        synchronized (lock) {
            unconfirmed.put(seqNo, p);
        }
    }

    /** Forgets a message whose publish failed on the client side: it never reached the broker. */
    void forget(long seqNo) {
        synchronized (lock) {
            unconfirmed.remove(seqNo);
        }
    }

    @Override
    public void handleAck(long deliveryTag, boolean multiple) {
        settle(deliveryTag, multiple, null);
    }

    @Override
    public void handleNack(long deliveryTag, boolean multiple) {
        settle(deliveryTag, multiple, "RabbitMQ did not accept the message (basic.nack: an internal error of the"
                + " queue, or a queue limit with overflow=reject-publish)");
    }

    @Override
    public void handleReturn(int replyCode, String replyText, String exchange, String routingKey,
                             AMQP.BasicProperties properties, byte[] body) {
        synchronized (lock) {
            returned.put(properties.getMessageId(), "unroutable: no queue is bound to exchange " + exchange
                    + " for routing key " + routingKey + " (RabbitMQ returned the mandatory message: " + replyCode
                    + " " + replyText + ")");
        }
    }

    @Override
    public void shutdownCompleted(ShutdownSignalException cause) {
        synchronized (lock) {
            shutdown = cause;
            lock.notifyAll();
        }
    }

    private void settle(long deliveryTag, boolean multiple, String nack) {
        synchronized (lock) {
            NavigableMap<Long, Publication> settled = multiple
                    ? unconfirmed.headMap(deliveryTag, true)
                    : unconfirmed.subMap(deliveryTag, true, deliveryTag, true);
            for (Publication p : settled.values()) {
                UUID id = p.message().id();
                String unroutable = returned.remove(p.properties().getMessageId());
                if (unroutable != null) {
                    outcomes.put(id, SendResult.failed(id, TransportException.permanent(unroutable, null)));
                } else if (nack != null) {
                    outcomes.put(id, SendResult.failed(id, TransportException.retryable(nack, null)));
                } else {
                    outcomes.put(id, SendResult.acknowledged(id));
                }
            }
            settled.clear();
            lock.notifyAll();
        }
    }

    /**
     * Waits until every registered message is confirmed, the channel shut down, or the deadline
     * passed.
     *
     * @return whether every message was confirmed
     */
    boolean await(long deadlineNanos) throws InterruptedException {
        synchronized (lock) {
            while (!unconfirmed.isEmpty() && shutdown == null) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // Object.wait takes millis; round up so that a short remainder does not spin.
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return unconfirmed.isEmpty();
        }
    }

    /** Results of the messages confirmed so far (acknowledged, nacked or returned). */
    Map<UUID, SendResult> outcomes() {
        synchronized (lock) {
            return new HashMap<>(outcomes);
        }
    }

    /** Messages published but not confirmed (yet), in publish order. */
    List<Publication> unconfirmed() {
        synchronized (lock) {
            return new ArrayList<>(unconfirmed.values());
        }
    }
}
