/**
 * The writer's benchmark: {@code Outbox.append} against a hand-written INSERT (its ceiling) and
 * gruelbox transaction-outbox's {@code schedule()} (a peer), in one run. Not shipped.
 */
package dev.outbox.bench.writer;
