package dev.outbox.core.internal;

import dev.outbox.core.OutboxException;
import java.sql.SQLException;

/** Turns a {@link SQLException} into an {@link OutboxException} that says how to fix it. */
public final class SqlErrors {
    private SqlErrors() {
    }

    /**
     * @param action what was being done, e.g. {@code "append 3 events to \"outbox\".event"}
     * @param schema the configured schema, named in the hint when objects are missing
     */
    public static OutboxException translate(String action, String schema, SQLException e) {
        SQLException root = e.getNextException() != null ? e.getNextException() : e;
        return new OutboxException("Could not " + action + ": " + root.getMessage() + hint(root.getSQLState(), schema), e);
    }

    /**
     * What to do about an error with this SQLState, as a sentence with a leading space; empty
     * when there is nothing more specific to say than the database's own message.
     *
     * @param schema the configured schema, named when objects are missing
     */
    public static String hint(String sqlState, String schema) {
        return switch (sqlState == null ? "" : sqlState) {
            case "42P01", "3F000", "42883" -> " Apply the migrations in sql/ to this database (see sql/README.md),"
                    + " or configure the schema that holds them (currently \"" + schema + "\").";
            case "42501" -> " The database role lacks a privilege: grant it outbox_app (writers, inbox)"
                    + " or outbox_relay (relay), as created by sql/V3__roles.sql.";
            case "25P02" -> " The caller's transaction had already failed: roll it back and retry.";
            case "23505" -> " An event or inbox entry with this id already exists; ids must be unique.";
            default -> "";
        };
    }
}
