package dev.outbox.spring.autoconfigure;

import dev.outbox.relay.Relay;
import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayStats;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;

/**
 * The embedded relay's health ({@code outboxRelay}): {@code UP} while it delivers (running and
 * connected, whether or not it owns slots now: other instances may hold them all), {@code DOWN}
 * when it cannot (transport paused by an outage, database unavailable, failing),
 * {@code UNKNOWN} while starting, {@code OUT_OF_SERVICE} once stopped. The details say why, with
 * the relay's last error, which never holds a secret. Kept out of Kubernetes liveness on purpose:
 * a restart does not bring a broker back.
 */
public final class OutboxRelayHealthIndicator implements HealthIndicator {
    private final Relay relay;

    OutboxRelayHealthIndicator(Relay relay) {
        this.relay = relay;
    }

    @Override
    public Health health() {
        RelayStats stats = relay.stats();
        RelayState state = stats.state();
        Status status = switch (state.phase()) {
            case RUNNING -> stats.connected() ? Status.UP : Status.DOWN;
            case STARTING -> Status.UNKNOWN;
            case STOPPED -> Status.OUT_OF_SERVICE;
            case TRANSPORT_PAUSED, DATABASE_UNAVAILABLE, FAILING -> Status.DOWN;
        };
        Health.Builder health = Health.status(status)
                .withDetail("phase", state.phase().name().toLowerCase(java.util.Locale.ROOT))
                .withDetail("since", state.since().toString())
                .withDetail("slotsOwned", stats.ownedSlots().size())
                .withDetail("published", stats.published())
                .withDetail("dead", stats.dead());
        if (state.lastError() != null) {
            health.withDetail("lastError", state.lastError());
        }
        return health.build();
    }
}
