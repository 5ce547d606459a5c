package dev.outbox.core;

import java.io.Serial;

/**
 * The one exception type outbox throws: invalid input, a database the library cannot use, a
 * misconfiguration. Its message says what was wrong and how to fix it; the cause, when there
 * is one, is the underlying {@link java.sql.SQLException} or parser error.
 *
 * <p>It is unchecked because none of these failures can be handled at the call site other
 * than by fixing the input or configuration, or by rolling back the caller's transaction.
 */
public class OutboxException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    public OutboxException(String message) {
        super(message);
    }

    public OutboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
