/**
 * The fault-injection suite behind {@code scripts/chaos} (not shipped; nothing here is API).
 *
 * <p>Where to start: {@link dev.outbox.chaos.Scenarios} (the table of scenarios, one method each).
 * The harness they use:
 * <ul>
 * <li>{@link dev.outbox.chaos.Lab}: the run's work directory and private services, stopped at the end;
 * <li>{@link dev.outbox.chaos.Proc}: child processes (relays, brokers), kill -9 / SIGTERM, pid files
 * for cleaning up after a killed run;
 * <li>{@link dev.outbox.chaos.PrivatePostgres}, {@link dev.outbox.chaos.RedisServer},
 * {@link dev.outbox.chaos.NatsServer} (both {@link dev.outbox.chaos.ServerProcess}es), {@link dev.outbox.chaos.KafkaBroker},
 * {@link dev.outbox.chaos.RabbitNode}, {@link dev.outbox.chaos.WebhookReceiver}: private services;
 * each {@link dev.outbox.chaos.Broker} has a reader built on the broker's own client;
 * <li>{@code dev.outbox.testing.StallingProxy} (outbox-test-support, shared with the relay's
 * transport tests): the proxy that stalls a broker;
 * <li>{@link dev.outbox.chaos.Workload}: plain-SQL writer (the sql/README.md contract INSERT);
 * <li>{@link dev.outbox.chaos.Run}: one scenario's database, relays, faults and final count;
 * <li>{@link dev.outbox.chaos.Tally}: lost, duplicates, order violations, resume and recovery.
 * </ul>
 * The relay is a black box: only {@code relay/distribution/target/outbox-relay/relay.jar run} with {@code OUTBOX_*}
 * variables, and the schema of {@code sql/}.
 */
package dev.outbox.chaos;
