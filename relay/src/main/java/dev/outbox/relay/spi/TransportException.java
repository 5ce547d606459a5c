package dev.outbox.relay.spi;

import dev.outbox.core.OutboxException;
import java.io.Serial;

/**
 * Why a transport could not deliver an event (in a {@link SendResult}) or a whole batch (thrown
 * from {@link Transport#send}). {@link #retryable()} tells the relay whether trying again later
 * can succeed: a broker that is down or slow is retryable; a message the broker will always
 * refuse (too large, unroutable, HTTP 400) is not.
 */
public class TransportException extends OutboxException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final boolean retryable;

    public TransportException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public TransportException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public static TransportException retryable(String message, Throwable cause) {
        return new TransportException(message, true, cause);
    }

    public static TransportException permanent(String message, Throwable cause) {
        return new TransportException(message, false, cause);
    }

    public boolean retryable() {
        return retryable;
    }
}
