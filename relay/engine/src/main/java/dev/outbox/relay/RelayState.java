package dev.outbox.relay;

import java.time.Instant;
import java.util.Objects;

/**
 * What a relay is doing now, for readiness checks and {@code relay status}: its phase, since
 * when, and the last error that put it there (already free of secrets; {@code null} while
 * running normally).
 *
 * @param phase what the relay is doing
 * @param since when it entered this phase
 * @param lastError why it is not delivering, for operators; {@code null} in {@link Phase#RUNNING}
 */
public record RelayState(Phase phase, Instant since, String lastError) {

    /** The phases a relay goes through; only {@link #RUNNING} delivers. */
    public enum Phase {
        /** Not started yet, or connecting for the first time. */
        STARTING,
        /** Connected, owning slots (or waiting for a share of them), delivering. */
        RUNNING,
        /** The transport cannot reach its destination (outage): nothing is sent or charged until it is back. */
        TRANSPORT_PAUSED,
        /** No database session: reconnecting with backoff. */
        DATABASE_UNAVAILABLE,
        /** The loop hit an unexpected error (a bug): logged with its stack, backing off, then continuing. */
        FAILING,
        /** Stopped (closed). */
        STOPPED
    }

    public RelayState {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(since, "since");
    }

    /** One line for operators, e.g. {@code transport paused since 2026-12-03T07:41:02Z, last error: …}. */
    public String describe() {
        String what = switch (phase) {
            case STARTING -> "starting";
            case RUNNING -> "running";
            case TRANSPORT_PAUSED -> "transport paused";
            case DATABASE_UNAVAILABLE -> "database unavailable";
            case FAILING -> "failing";
            case STOPPED -> "stopped";
        };
        return what + " since " + since + (lastError == null ? "" : ", last error: " + lastError);
    }
}
