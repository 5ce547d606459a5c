/**
 * Jdbi support: {@link dev.outbox.core.jdbi.JdbiOutbox} and {@link dev.outbox.core.jdbi.JdbiInbox}
 * take a Jdbi {@code Handle}. Only this package needs Jdbi on the classpath (an optional
 * dependency of outbox-core).
 */
package dev.outbox.core.jdbi;
