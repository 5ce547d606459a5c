/**
 * The outbox in a Spring Boot application: {@link dev.outbox.spring.TransactionalOutbox} and
 * {@link dev.outbox.spring.TransactionalInbox} join the current Spring-managed transaction; the
 * embedded relay is configured with {@code outbox.*} properties (see the README's "Spring Boot").
 */
package dev.outbox.spring;
