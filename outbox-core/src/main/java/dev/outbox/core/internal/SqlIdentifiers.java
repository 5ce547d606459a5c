package dev.outbox.core.internal;

import dev.outbox.core.OutboxException;
import java.util.regex.Pattern;

/**
 * Validates SQL identifiers that come from configuration before they are put into SQL text.
 * Only plain lower-case identifiers are accepted (what PostgreSQL folds unquoted names to), so
 * the configured name means the same thing quoted or not, and nothing else can reach the SQL.
 */
public final class SqlIdentifiers {
    private static final Pattern SAFE = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private SqlIdentifiers() {
    }

    /**
     * Returns {@code name} double-quoted for use in SQL.
     *
     * @param property the configuration property the name came from, for the error message
     * @throws OutboxException if the name is not a plain lower-case identifier of at most 63 characters
     */
    public static String quote(String property, String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new OutboxException(property + " " + problem);
        }
        return '"' + name + '"';
    }

    /** Why {@code name} is not a plain identifier (without the property), or {@code null} if it is one. */
    public static String problem(String name) {
        return name == null || !SAFE.matcher(name).matches()
                ? "must be a plain SQL identifier: 1 to 63 characters of a-z, 0-9 and _, not starting with a digit"
                        + " (was " + describe(name) + ")"
                : null;
    }

    private static String describe(String name) {
        return name == null ? "null" : '"' + name + '"';
    }
}
