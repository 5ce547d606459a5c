package dev.outbox.chaos;

import java.util.List;
import java.util.Map;

/**
 * A destination the relay publishes to, as the suite sees it: how to point a relay at it, how
 * to prepare a route (topic, stream, queue), and an independent reader that returns what the
 * destination holds, using the broker's own client (never the relay's code).
 */
interface Broker extends AutoCloseable {
    String name();

    /** OUTBOX_* variables that make a relay publish {@code route} here, through {@code port} (a proxy's, for a stall). */
    Map<String, String> relayEnv(String route, int port);

    int port();

    /** Creates what the relay does not create itself (a Kafka topic, a JetStream stream, a RabbitMQ queue). */
    void prepare(String route) throws Exception;

    /** Starts reading {@code route} (live readers start now; others read at the end). */
    Reader reader(String route) throws Exception;

    /** kill -9 of the broker process; returns once it is gone. */
    default void crash() {
        throw new UnsupportedOperationException(name() + " cannot be crashed by the suite");
    }

    /** Starts the crashed broker again on the same data; returns once it accepts clients. */
    default void restart() {
        throw new UnsupportedOperationException(name() + " cannot be restarted by the suite");
    }

    @Override
    void close();

    /** What a broker holds for one route. */
    interface Reader extends AutoCloseable {
        /**
         * Everything the route holds, in the order a consumer sees it per key. {@code published}
         * is how many distinct events the database marked published: a live reader waits until it
         * has seen that many (or a quiet deadline passes).
         */
        List<Delivery> readAll(int published) throws Exception;

        @Override
        default void close() throws java.io.IOException {
        }
    }
}
