package dev.outbox.relay.internal;

import dev.outbox.relay.config.Redaction;
import dev.outbox.core.internal.SqlErrors;
import java.sql.SQLException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Why the relay's database session could not be opened or was lost, reduced to its root cause:
 * the database's own SQLState and reason rather than the wrapper around it. A pool reports a
 * failed connect as "Connection is not available, request timed out after 5001ms"; the reason
 * (wrong password {@code 28P01}, unknown database {@code 3D000}, unknown host, …) is its cause.
 *
 * @param sqlState the root cause's SQLState; {@code null} when none says
 * @param message one line, free of secrets, with a hint when the fix is known (apply sql/, grant a role)
 */
public record SessionFailure(String sqlState, String message) {
    /** Longest message kept: a server message with a long detail still fits a log line and the state table. */
    private static final int MAX_MESSAGE = 1000;
    private static final Pattern DIGITS = Pattern.compile("\\d+");

    /**
     * Finds the root cause of {@code e}: the deepest {@link SQLException} in its causes and
     * next-exceptions that has a SQLState (pgjdbc's, under the pool's), followed by the first
     * non-SQL cause below it (e.g. {@code UnknownHostException: db.example}).
     *
     * @param schema the configured schema, named in the hint for missing objects
     */
    public static SessionFailure of(SQLException e, String schema) {
        SQLException root = e;
        Throwable detail = null;
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = next(t)) {
            if (t instanceof SQLException s) {
                if (s.getSQLState() != null || root.getSQLState() == null) {
                    root = s;
                    detail = null;
                }
            } else if (detail == null) {
                detail = t;
            }
        }
        StringBuilder text = new StringBuilder(String.valueOf(root.getMessage()));
        if (detail != null) {
            text.append(" (").append(detail.getClass().getSimpleName());
            if (detail.getMessage() != null) {
                text.append(": ").append(detail.getMessage());
            }
            text.append(')');
        }
        text.append(SqlErrors.hint(root.getSQLState(), schema));
        return new SessionFailure(root.getSQLState(), clean(text.toString()));
    }

    private static Throwable next(Throwable t) {
        if (t.getCause() != null) {
            return t.getCause();
        }
        return t instanceof SQLException s ? s.getNextException() : null;
    }

    /** One line, without credentials, bounded. */
    static String clean(String message) {
        String line = message.replaceAll("[\\p{Cntrl}\\s]+", " ").strip();
        return truncate(Redaction.userInfo(Redaction.parameters(line)), MAX_MESSAGE);
    }

    /** {@code text} cut to at most {@code max} chars, ending with "…" when cut; never splits a character. */
    static String truncate(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        int end = max - 1;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end) + "…";
    }

    /** For operators and {@code RelayState.lastError}: {@code SQLState 28P01: FATAL: password authentication failed …}. */
    public String describe() {
        return sqlState == null ? message : "SQLState " + sqlState + ": " + message;
    }

    /**
     * Whether {@code other} is the same failure again, ignoring numbers that differ from one try
     * to the next (a pool's "timed out after 5001ms", a pid), so that a persisting cause is
     * logged once and not on every retry.
     */
    public boolean sameAs(SessionFailure other) {
        return other != null && java.util.Objects.equals(sqlState, other.sqlState)
                && DIGITS.matcher(message).replaceAll("#").equals(DIGITS.matcher(other.message).replaceAll("#"));
    }
}
