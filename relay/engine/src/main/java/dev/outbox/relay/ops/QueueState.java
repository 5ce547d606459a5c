package dev.outbox.relay.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How full the outbox is, by the database's clock: what monitoring scrapes
 * ({@link Operations#queue()}) and the head of {@link StatusReport}.
 *
 * @param at the database's time of the reading
 * @param backlog undelivered events (neither published nor dead)
 * @param oldestUndeliveredAt when the oldest undelivered event occurred, or {@code null} when there is none
 * @param dead dead events waiting for an operator
 */
public record QueueState(Instant at, long backlog, Instant oldestUndeliveredAt, long dead) {

    public QueueState {
        Objects.requireNonNull(at, "at");
    }

    /** How long the oldest undelivered event has been waiting (never negative), if there is one. */
    public Optional<Duration> oldestUndeliveredAge() {
        if (oldestUndeliveredAt == null) {
            return Optional.empty();
        }
        Duration age = Duration.between(oldestUndeliveredAt, at);
        return Optional.of(age.isNegative() ? Duration.ZERO : age);
    }
}
