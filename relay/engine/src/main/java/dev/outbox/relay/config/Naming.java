package dev.outbox.relay.config;

/** Which name of a {@link Setting} a message uses: the one the user wrote. */
public enum Naming {
    /** Builders: {@code relay.batchSize}. */
    PROPERTY,
    /** Environment variables and properties files: {@code OUTBOX_BATCH_SIZE}. */
    ENVIRONMENT
}
