package dev.outbox.relay.ops;

import dev.outbox.core.internal.JsonFactories;
import dev.outbox.relay.RelayState;
import dev.outbox.relay.internal.EventStore;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of an outbox and the relays serving it, made by {@link Operations#status()}. The
 * counts come from one statement (one consistent snapshot); the instances from PostgreSQL's lock
 * table at the same moment, each with the state it wrote to {@code relay_instance}. Immutable.
 *
 * @param schema the outbox schema
 * @param at the database's time of the snapshot (ages are measured from it, not the local clock)
 * @param backlog undelivered events: neither published nor dead
 * @param oldestUndeliveredAt {@code occurred_at} of the oldest undelivered event, {@code null} when the backlog is empty
 * @param retrying undelivered events that failed at least once and wait for a retry
 * @param dead events given up after their last attempt; they hold back later events of their key
 * @param published published events still retained (for audit and replay)
 * @param instances the live relay instances, by name
 * @param unownedSlots slots (0..63) no instance owns: their events are not delivered until one takes them
 */
public record StatusReport(
        String schema,
        Instant at,
        long backlog,
        Instant oldestUndeliveredAt,
        long retrying,
        long dead,
        long published,
        List<RelayInstance> instances,
        List<Integer> unownedSlots) {

    public StatusReport {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(at, "at");
        instances = List.copyOf(instances);
        unownedSlots = List.copyOf(unownedSlots);
    }

    /**
     * A running relay instance, seen through its database session.
     *
     * @param name the instance name ({@code relay.instanceName}), from the session's application_name
     * @param pid the backend pid of its session ({@code pg_terminate_backend(pid)} forces its slots free)
     * @param connectedSince when the session started; {@code null} when the operator's role may not see
     *     other sessions' details (grant it {@code pg_read_all_stats}, or use the relay's login role)
     * @param clientAddress the relay's network address; {@code null} for a Unix socket or when not visible
     * @param slots the slots it owns, ascending
     * @param state what the relay says it is doing (running, transport paused since …, last error …),
     *     from its row in {@code relay_instance}; {@code null} while it is connecting, or when it
     *     cannot write that table (sql/V5 not applied, or its role lacks the grant)
     */
    public record RelayInstance(String name, int pid, Instant connectedSince, String clientAddress, List<Integer> slots,
                                RelayState state) {
        public RelayInstance {
            Objects.requireNonNull(name, "name");
            slots = List.copyOf(slots);
        }

        /**
         * The state in words, to the second, as {@code relay status} shows it and the JSON's
         * {@code description}: {@code transport paused since 2026-12-03T07:41:02Z, last error: …}.
         */
        public String describeState() {
            return state == null ? "unknown (no state row yet)"
                    : new RelayState(state.phase(), state.since().truncatedTo(ChronoUnit.SECONDS), state.lastError())
                            .describe();
        }
    }

    /** How long the oldest undelivered event has waited; empty when the backlog is empty. */
    public Optional<Duration> oldestUndeliveredAge() {
        return queue().oldestUndeliveredAge();
    }

    /** The backlog part of the report. */
    public QueueState queue() {
        return new QueueState(at, backlog, oldestUndeliveredAt, dead);
    }

    /** Number of slots owned by some instance (64 when all keys are served). */
    public int ownedSlotCount() {
        return EventStore.SLOTS - unownedSlots.size();
    }

    /** The report as one JSON object (times ISO-8601, ages in seconds), for scripts and monitoring. */
    public String renderJson() {
        return toJson().toString();
    }

    /** The report as a JSON object. */
    public JsonObject toJson() {
        JsonObjectBuilder o = JsonFactories.objectBuilder()
                .add("schema", schema)
                .add("at", at.toString())
                .add("backlog", backlog);
        if (oldestUndeliveredAt == null) {
            o.addNull("oldestUndeliveredAt").addNull("oldestUndeliveredAgeSeconds");
        } else {
            o.add("oldestUndeliveredAt", oldestUndeliveredAt.toString())
                    .add("oldestUndeliveredAgeSeconds", oldestUndeliveredAge().orElseThrow().toMillis() / 1000.0);
        }
        o.add("retrying", retrying).add("dead", dead).add("published", published);
        JsonArrayBuilder list = JsonFactories.arrayBuilder();
        for (RelayInstance i : instances) {
            JsonObjectBuilder io = JsonFactories.objectBuilder().add("name", i.name()).add("pid", i.pid());
            if (i.connectedSince() == null) {
                io.addNull("connectedSince");
            } else {
                io.add("connectedSince", i.connectedSince().toString());
            }
            if (i.clientAddress() == null) {
                io.addNull("clientAddress");
            } else {
                io.add("clientAddress", i.clientAddress());
            }
            io.add("slots", ints(i.slots()));
            if (i.state() == null) {
                io.addNull("state");
            } else {
                JsonObjectBuilder state = JsonFactories.objectBuilder()
                        .add("phase", i.state().phase().name())
                        .add("since", i.state().since().toString());
                if (i.state().lastError() == null) {
                    state.addNull("lastError");
                } else {
                    state.add("lastError", i.state().lastError());
                }
                io.add("state", state.add("description", i.describeState()));
            }
            list.add(io);
        }
        return o.add("instances", list)
                .add("ownedSlots", ownedSlotCount())
                .add("unownedSlots", ints(unownedSlots))
                .build();
    }

    private static JsonArrayBuilder ints(List<Integer> values) {
        JsonArrayBuilder a = JsonFactories.arrayBuilder();
        values.forEach(a::add);
        return a;
    }
}
