package dev.outbox.schema;

/**
 * Where this jar keeps the outbox's PostgreSQL migrations: the files of the project's
 * {@code sql/} directory ({@code V1__outbox_event.sql}, …), copied when the jar is built, and a
 * Liquibase changelog that applies them. The optional NOTIFY trigger is not among them.
 */
public final class OutboxSchema {
    /** The migrations' Flyway location; give them a history table of their own (see the README). */
    public static final String FLYWAY_LOCATION = "classpath:dev/outbox/schema/migration";
    /** The Liquibase changelog to include from the application's: one change set per migration. */
    public static final String LIQUIBASE_CHANGELOG = "dev/outbox/schema/changelog.xml";

    private OutboxSchema() {
    }
}
