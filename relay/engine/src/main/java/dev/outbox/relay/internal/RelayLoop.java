package dev.outbox.relay.internal;

import dev.outbox.relay.RelayConfig;
import dev.outbox.relay.RelayState;
import dev.outbox.relay.RelayState.Phase;
import dev.outbox.relay.internal.PollBackoff.Claimed;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.SendTracing;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.DoubleSupplier;
import javax.sql.DataSource;
import org.postgresql.PGConnection;

/**
 * The relay's work loop, run by one thread: keep a database session, own a share of the slots,
 * and claim, send and mark batches, the database and the broker working at the same time: while
 * the transport delivers batch <i>n</i> (on the dispatcher thread), this thread marks batch
 * <i>n-1</i> and claims batch <i>n+1</i> in one transaction.
 *
 * <p>Claiming and marking on the session that holds the slot locks is what makes delivery safe:
 * only this relay claims events of its slots, an event is marked only after the broker
 * acknowledged it, and a crash at any point leaves the events in flight unmarked (they are sent
 * again: duplicates, never loss, at most the two batches of the pipeline). A relay whose session
 * ended can no longer mark anything, so a slot's new owner is never overruled by the old one,
 * and before its slots change the relay waits for the batch in flight, so no event of a slot it
 * gives up is still on its way. Per-key order: a batch is handed to the transport only after
 * the one before it was delivered, without the keys of which something was not acknowledged.
 */
public final class RelayLoop implements Runnable {
    private static final System.Logger LOG = RelayLogs.logger("dev.outbox.relay");
    private static final int PURGE_BATCHES_PER_ROUND = 10;
    private static final long LISTEN_SLICE_MILLIS = 200;
    /** A database failure that persists is logged again after this, then after twice as long, … */
    private static final Duration OUTAGE_LOG_FIRST_REPEAT = Duration.ofSeconds(30);
    private static final Duration OUTAGE_LOG_MAX_INTERVAL = Duration.ofMinutes(10);

    private final DataSource dataSource;
    private final Transport transport;
    private final RelayConfig config;
    private final Clock clock;
    private final EventStore store;
    private final SlotOwnership slots;
    private final InstanceRegistry registry;
    private final RetryPolicy retryPolicy;
    private final DoubleSupplier random;
    private final Backoff pauseBackoff;
    private final Backoff transportBackoff;
    private final Metrics metrics;
    private final ExecutorService transportExecutor;
    /** Runs {@link #deliver} (the transport calls of a batch) while this thread marks and claims. */
    private final ExecutorService dispatcher;
    private final Object wakeUp = new Object();
    /** Null without tracing: then a transport call is exactly what it was before tracing existed. */
    private final SendTracing tracing;
    /** A failing tracer is logged at WARNING once, then at DEBUG: it may fail on every call. */
    private boolean tracingFailureReported;

    private volatile boolean running = true;
    private volatile boolean connected;
    private volatile RelayState state;
    private Connection session;
    private long nextRebalance;
    private long nextPurge;
    private long pausedUntil;
    private int consecutivePauses;
    private int consecutiveConnectFailures;
    /** Rounds of the loop begun on the current session; the second proves the first one worked. */
    private int roundsOnSession;
    /** The database failure going on now, from the first failure until a session works again. */
    private Outage outage;
    private int consecutiveLoopFailures;
    private int claimLimit;
    /** The batch the transport is delivering, or null. */
    private InFlight inFlight;
    /** Claimed, not handed to the transport yet: the batch after the one in flight. */
    private List<OutboxMessage> next = List.of();
    /** The payload and headers of {@link #next} as JSON text: {@code next} and the batch in flight share the budget. */
    private long nextBytes;

    public RelayLoop(DataSource dataSource, Transport transport, RelayConfig config, Clock clock,
                     DoubleSupplier random, Metrics metrics, ExecutorService transportExecutor,
                     ExecutorService dispatcher, SendTracing tracing) {
        this.tracing = tracing;
        this.dataSource = dataSource;
        this.transport = transport;
        this.config = config;
        this.clock = clock;
        this.store = new EventStore(config.schema(), config.retention().isZero());
        this.slots = new SlotOwnership(config.schema());
        this.registry = new InstanceRegistry(config.schema(), config.instanceName(), slots.memberClass());
        this.retryPolicy = RetryPolicy.of(config);
        this.random = random;
        this.pauseBackoff = new Backoff(Duration.ofMillis(100), min(config.backoffCap(), Duration.ofSeconds(30)), random);
        // Recovery stays within the fault suite's 2 s target: see PollBackoff.MAX_TRANSPORT_PAUSE.
        this.transportBackoff = PollBackoff.transportPause(config.backoffCap(), random);
        this.metrics = metrics;
        this.transportExecutor = transportExecutor;
        this.dispatcher = dispatcher;
        this.claimLimit = config.batchSize();
        long now = System.nanoTime(); // nanoTime may be negative: timers start from a reading
        this.nextRebalance = now;
        this.nextPurge = now;
        this.pausedUntil = now;
        this.state = new RelayState(Phase.STARTING, clock.instant(), null);
    }

    /** What the loop is doing now; see {@link RelayState}. */
    public RelayState state() {
        return state;
    }

    /** Enters a phase; the time is kept while the phase (and its error) stays the same. */
    private void enter(Phase phase, String error) {
        RelayState current = state;
        if (current.phase() != phase || !Objects.equals(current.lastError(), error)) {
            state = new RelayState(phase, current.phase() == phase ? current.since() : clock.instant(), error);
        }
    }

    public boolean connected() {
        return connected;
    }

    public Set<Integer> ownedSlots() {
        return slots.owned();
    }

    /** Asks the loop to finish its current batch and exit. */
    public void stop() {
        running = false;
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
    }

    @Override
    public void run() {
        PollBackoff poll = new PollBackoff(config.minPollInterval(), config.maxPollInterval());
        try {
            while (running) {
                try {
                    if (session == null) {
                        openSession();
                    }
                    housekeeping();
                    if (System.nanoTime() - pausedUntil < 0) {
                        pause(Duration.ofNanos(pausedUntil - System.nanoTime()));
                        continue;
                    }
                    Claimed claimed = slots.owned().isEmpty() ? Claimed.NONE : relayRound();
                    consecutiveLoopFailures = 0;
                    if (state.phase() == Phase.FAILING) {
                        enter(Phase.RUNNING, null); // a whole round went through
                    }
                    pause(poll.next(claimed)); // none after a full claim: more is waiting
                } catch (SQLException e) {
                    sessionLost(e);
                } catch (RuntimeException | Error e) {
                    // A bug (ours, a transport's, a driver's) must not end the thread silently
                    // while the relay still looks alive. Errors too: they are thrown on this thread
                    // by code the relay calls, and a claim is bounded, so none is expected here.
                    loopFailed(e);
                }
            }
        } finally {
            finishInFlight();
            closeSession(true);
            enter(Phase.STOPPED, null);
        }
    }

    private void openSession() throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(false);
            try (PreparedStatement s = c.prepareStatement("SELECT set_config('application_name', ?, false)")) {
                s.setString(1, SlotOwnership.APPLICATION_NAME_PREFIX + config.instanceName());
                s.execute();
            }
            if (config.listenNotify()) {
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN \"" + config.schema() + "_event\"");
                }
            }
            c.commit();
            registry.cleanUp(c); // before joining: see InstanceRegistry
            slots.join(c);
            c.commit();
            if (outage == null) {
                enter(Phase.RUNNING, null); // after an outage: once the session has done a round (housekeeping)
            }
            registry.publish(c, state);
        } catch (SQLException | RuntimeException e) {
            try {
                c.rollback();
                slots.releaseAll(c); // a pooled connection must not keep our locks
                c.commit();
            } catch (SQLException unusable) {
                e.addSuppressed(unusable); // closing it ends the session and its locks
            }
            closeQuietly(c);
            throw e;
        }
        session = c;
        connected = true;
        roundsOnSession = 0;
        nextRebalance = System.nanoTime();
        LOG.log(outage == null ? Level.INFO : Level.DEBUG, "relay connected {0}",
                LogFields.of("instance", config.instanceName()));
    }

    /**
     * The current session has done a whole round (claim, send, mark, or a transport pause): the
     * database works again. A session that opens but fails at once (a missing table or grant)
     * does not end an outage, so its reconnects keep backing off and its cause is not logged anew.
     */
    private void sessionWorks() {
        consecutiveConnectFailures = 0;
        if (outage != null) {
            LOG.log(Level.INFO, "database session restored {0}", LogFields.of("instance", config.instanceName(),
                    "outage_ms", Duration.between(outage.since, clock.instant()).toMillis(), "failures", outage.failures));
            outage = null;
        }
        if (state.phase() == Phase.DATABASE_UNAVAILABLE) {
            enter(Phase.RUNNING, null);
        }
    }

    private void housekeeping() throws SQLException {
        if (++roundsOnSession == 2) {
            sessionWorks();
        }
        registry.publish(session, state); // only when the state changed: no round trip otherwise
        long now = System.nanoTime();
        if (now - nextRebalance >= 0) {
            drain();
            Set<Integer> before = slots.owned();
            slots.rebalance(session);
            session.commit();
            nextRebalance = now + config.rebalanceInterval().toNanos();
            Set<Integer> after = slots.owned();
            if (!before.equals(after)) {
                next = List.of(); // it may hold events of slots given up
                LOG.log(Level.INFO, "relay slots changed {0}", LogFields.of(
                        "instance", config.instanceName(), "slots_owned", after.size()));
            }
        }
        if (now - nextPurge >= 0) {
            purge();
            nextPurge = now + config.purgeInterval().toNanos();
        }
    }

    /**
     * Keeps the history's partitions ready for today and tomorrow and drops the days older than
     * the retention; then deletes events marked published in place (by relays before V7) older
     * than the retention, a few small batches per round.
     */
    private void purge() throws SQLException {
        if (config.retention().isZero()) {
            return; // deleted when published
        }
        Instant now = clock.instant();
        store.prepareHistory(session, now);
        session.commit();
        Instant cutoff = now.minus(config.retention());
        // One instance purges at a time; the others find the lock taken and skip.
        if (!store.tryPurgeLock(session)) {
            session.commit();
            return;
        }
        metrics.purged.add(store.dropHistory(session, cutoff));
        session.commit();
        for (int i = 0; i < PURGE_BATCHES_PER_ROUND && running; i++) {
            if (!store.tryPurgeLock(session)) {
                session.commit();
                return;
            }
            int inPlace = store.purgeMarkedInPlace(session, cutoff, config.purgeBatchSize());
            session.commit();
            metrics.purged.add(inPlace);
            if (inPlace < config.purgeBatchSize()) {
                return;
            }
        }
    }

    /**
     * One round of the pipeline: wait for the batch in flight, hand the next claimed batch to the
     * transport, then mark the delivered one and claim the batch after it while the transport
     * works. Starts the pipeline when nothing is in flight.
     */
    private Claimed relayRound() throws SQLException {
        if (inFlight == null) {
            if (next.isEmpty()) {
                Claimed claimed = claimNext(null);
                session.commit();
                if (next.isEmpty()) {
                    if (state.phase() == Phase.TRANSPORT_PAUSED) {
                        enter(Phase.RUNNING, null); // the pause is over and nothing waits for the transport
                    }
                    return claimed;
                }
            }
            handOver();
            claimNext(inFlight); // overlaps the delivery
            session.commit();
        }
        return completeInFlight(true);
    }

    /**
     * Waits for the batch in flight and marks it; with {@code continuing}, first hands the next
     * claimed batch to the transport (without the keys that were not acknowledged) and claims the
     * one after it in the marking transaction. Claiming right after each delivery, rather than
     * after a poll pause, keeps events flowing as fast as the broker acknowledges them.
     */
    private Claimed completeInFlight(boolean continuing) throws SQLException {
        InFlight delivered = inFlight;
        inFlight = null;
        Delivery delivery = await(delivered);
        if (delivery == null) {
            next = List.of();
            return Claimed.NONE; // interrupted: stopping, nothing marked
        }
        if (delivery.outage() != null) {
            next = List.of(); // not sent before the pause; claimed again after it
        } else {
            next = without(next, delivery.notAcknowledgedKeys());
            if (continuing && !next.isEmpty()) {
                handOver();
            }
        }
        Instant now = clock.instant();
        if (!store.historyReady(now)) {
            // A day the purge has not prepared (the clock moved on faster than purgeInterval):
            // made in a transaction of its own, before this one appends to the history.
            store.prepareHistory(session, now);
            session.commit();
        }
        store.published(session, delivery.acknowledged(), now);
        List<EventStore.Failure> failures = new ArrayList<>(delivery.refused().size());
        for (Refusal r : delivery.refused()) {
            failures.add(failure(r.event(), r.failure(), now));
        }
        store.failed(session, failures);
        Claimed claimed = continuing && delivery.outage() == null && running
                ? claimNext(inFlight) : Claimed.NONE;
        session.commit();

        metrics.published.add(delivery.acknowledged().size());
        metrics.failed.add(failures.size());
        metrics.batchLatency(System.nanoTime() - delivered.started());
        if (delivery.outage() != null) {
            pauseTransport(delivery.outage(),
                    delivered.events().size() - delivery.acknowledged().size() - failures.size());
            return Claimed.NONE;
        }
        if (consecutivePauses > 0) {
            LOG.log(Level.INFO, "transport resumed {0}", LogFields.of(
                    "instance", config.instanceName(), "pauses", consecutivePauses));
            consecutivePauses = 0;
        }
        sessionWorks(); // a batch claimed, sent and marked: whatever failed before works again
        enter(Phase.RUNNING, null);
        // Something in flight or claimed: go straight on. Otherwise pace the next claim.
        return inFlight != null || !next.isEmpty() ? Claimed.FULL : claimed;
    }

    /**
     * Claims into {@link #next} the deliverable events after those in flight (which are not
     * marked yet, so the claim must skip them). The batch in flight and the next one share the
     * byte budget, so the relay holds no more event bodies than with one batch. Does not commit.
     */
    private Claimed claimNext(InFlight inFlight) throws SQLException {
        Instant now = clock.instant();
        int limit = claimLimit;
        long[] skip = new long[inFlight == null ? 0 : inFlight.events().size()];
        for (int i = 0; i < skip.length; i++) {
            skip[i] = inFlight.events().get(i).seq();
        }
        long budget = config.batchMaxBytes() - (inFlight == null ? 0 : inFlight.bytes());
        EventStore.Claim claim = store.claim(session, slots.owned(), now, limit, budget, skip);
        if (claim.tooLarge() != null && claim.tooLarge().bytes() <= config.batchMaxBytes()) {
            next = List.of(); // fits once the batch in flight is done: claimed then
            return Claimed.FULL;
        }
        adaptClaimLimit(claim, limit);
        if (claim.tooLarge() != null) {
            deadTooLarge(claim.tooLarge(), now);
            return Claimed.FULL;
        }
        next = claim.events();
        nextBytes = claim.bytes();
        return next.isEmpty() ? Claimed.NONE : claim.full() ? Claimed.FULL : Claimed.SOME;
    }

    /** Hands {@link #next} to the dispatcher, which runs the transport calls while this thread goes on. */
    private void handOver() {
        List<OutboxMessage> batch = next;
        next = List.of();
        inFlight = new InFlight(batch, nextBytes, dispatcher.submit(() -> deliver(batch)), System.nanoTime());
    }

    /** The delivery of a batch in flight; {@code null} when this thread was interrupted (stopping). */
    private Delivery await(InFlight batch) {
        try {
            return batch.delivery().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException("delivering a batch failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Before the slots may change: the batch in flight is waited for and marked, so that no event
     * of a slot this relay gives up is still on its way when another relay claims it.
     */
    private void drain() throws SQLException {
        if (inFlight != null) {
            completeInFlight(false);
        }
    }

    /** On stopping: the batch in flight is marked if its session still works (else sent again later). */
    private void finishInFlight() {
        if (session == null) {
            dropPipeline();
            return;
        }
        try {
            drain();
        } catch (SQLException | RuntimeException e) {
            LOG.log(Level.DEBUG, "could not mark the batch in flight on stopping: " + e);
        }
        dropPipeline();
    }

    /** Drops the pipeline without marking anything: its events are claimed and sent again. */
    private void dropPipeline() {
        inFlight = null;
        next = List.of();
    }

    private static List<OutboxMessage> without(List<OutboxMessage> batch, Set<String> keys) {
        if (keys.isEmpty()) {
            return batch;
        }
        List<OutboxMessage> rest = new ArrayList<>(batch.size());
        for (OutboxMessage m : batch) {
            if (!keys.contains(key(m))) {
                rest.add(m);
            }
        }
        return rest;
    }

    /**
     * Sends a batch, on the dispatcher thread: in one call when the transport keeps order within
     * a call, otherwise in waves of one event per key. Nothing of a key is acknowledged after one
     * of its events that was not.
     */
    private Delivery deliver(List<OutboxMessage> batch) {
        List<UUID> acknowledged = new ArrayList<>(batch.size());
        List<Refusal> refused = new ArrayList<>();
        Set<String> heldBack = new HashSet<>();
        TransportException outage = null;
        for (List<OutboxMessage> wave : transport.keepsOrderWithinBatch() ? List.of(batch) : waves(batch)) {
            List<OutboxMessage> sendable = new ArrayList<>(wave.size());
            for (OutboxMessage m : wave) {
                if (!heldBack.contains(key(m))) {
                    sendable.add(m);
                }
            }
            if (sendable.isEmpty()) {
                continue;
            }
            Map<UUID, SendResult> results;
            try {
                results = send(sendable);
            } catch (TransportException e) {
                outage = e; // thrown, or no answer in time: nothing of this wave is known to have arrived
                for (OutboxMessage m : sendable) {
                    heldBack.add(key(m));
                }
                break;
            }
            for (OutboxMessage m : sendable) {
                if (heldBack.contains(key(m))) {
                    // An earlier event of its key in this call was not acknowledged. The destination
                    // may have stored this one anyway, but marking it would put a gap behind it: it
                    // stays unmarked and uncharged, and goes again after the earlier one (a duplicate).
                    continue;
                }
                SendResult result = results.get(m.id());
                if (result != null && result.isAcknowledged()) {
                    acknowledged.add(m.id());
                    continue;
                }
                TransportException failure = result != null ? result.failure()
                        : TransportException.retryable("the transport returned no result for this event", null);
                heldBack.add(key(m)); // later events of this key wait for this one
                if (failure.outage()) {
                    outage = outage != null ? outage : failure; // not the event's fault: not charged
                } else {
                    refused.add(new Refusal(m, failure));
                }
            }
        }
        return new Delivery(acknowledged, refused, heldBack, outage);
    }

    /** A batch handed to the dispatcher (its payload and headers as JSON text: bytes), and when. */
    private record InFlight(List<OutboxMessage> events, long bytes, Future<Delivery> delivery, long started) {
    }

    /**
     * What the transport made of a batch: the events it acknowledged, those it refused, the keys
     * of which something was not acknowledged (nothing later of those keys may go or be marked),
     * and the outage that stopped it, if any.
     */
    private record Delivery(List<UUID> acknowledged, List<Refusal> refused, Set<String> notAcknowledgedKeys,
                            TransportException outage) {
    }

    /** An event the destination refused: charged to it. */
    private record Refusal(OutboxMessage event, TransportException failure) {
    }

    /**
     * The claim renders every candidate row to measure it, so when the byte budget cut the last
     * claim short, the next one asks for about twice the rows that fitted instead of a full
     * batch: large events are then not rendered over and over just to be left for later. The
     * limit doubles back towards the batch size as soon as the budget no longer binds. (Memory
     * is bounded by the budget either way; this bounds the database's work.)
     */
    private void adaptClaimLimit(EventStore.Claim claim, int limit) {
        int taken = claim.events().size();
        if (claim.tooLarge() != null) {
            return;
        }
        claimLimit = claim.full() && taken < limit
                ? Math.min(config.batchSize(), 2 * taken + 1)
                : (int) Math.min(config.batchSize(), 2L * limit);
    }

    /**
     * An event larger than a claim may hold is never loaded (that is what keeps the heap
     * bounded), so no transport can ever get it: it is dead at once, and says why.
     */
    private void deadTooLarge(EventStore.TooLarge event, Instant now) throws SQLException {
        String error = "non-retryable: the event's payload and headers are " + event.bytes() + " bytes as JSON text,"
                + " more than OUTBOX_BATCH_MAX_BYTES (relay.batchMaxBytes) = " + config.batchMaxBytes()
                + ", so the relay does not load it. To deliver it, raise OUTBOX_BATCH_MAX_BYTES above its size"
                + " (the relay's heap needs about 4 times that) and run `relay dead retry " + event.id()
                + "`; or remove it with `relay dead discard " + event.id() + "`";
        store.failed(session, List.of(new EventStore.Failure(event.id(), error, null, now)));
        session.commit();
        metrics.failed.increment();
        metrics.dead.increment();
        LOG.log(Level.WARNING, "event dead: larger than a claim may hold {0}", LogFields.of(
                "event_id", event.id(), "type", event.type(), "attempts", event.attempt(), "bytes", event.bytes(),
                "batch_max_bytes", config.batchMaxBytes()));
    }

    /**
     * Splits a claimed batch (in write order) into waves holding at most one event per key: the
     * first event of every key, then the second, … A wave is sent only after the previous one was
     * acknowledged, so an event never overtakes an earlier event of its key. A transport that
     * {@linkplain Transport#keepsOrderWithinBatch keeps order within a call} gets the whole batch
     * as one wave instead.
     */
    static List<List<OutboxMessage>> waves(List<OutboxMessage> claimed) {
        List<List<OutboxMessage>> waves = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (OutboxMessage m : claimed) {
            int wave = seen.merge(key(m), 1, Integer::sum) - 1;
            if (wave == waves.size()) {
                waves.add(new ArrayList<>());
            }
            waves.get(wave).add(m);
        }
        return waves;
    }

    private static String key(OutboxMessage m) {
        return m.aggregateType() + '\u0000' + m.aggregateId();
    }

    /**
     * One transport call, traced when tracing is set. Tracing only decorates: whatever it does or
     * throws, the same events go in the same order and their results are the transport's.
     */
    private Map<UUID, SendResult> send(List<OutboxMessage> batch) {
        if (tracing == null) {
            return call(batch);
        }
        SendTracing.Send traced = startTracing(batch);
        Map<UUID, SendResult> results;
        try {
            results = call(traced == null ? batch : tracedMessages(traced, batch));
        } catch (TransportException e) {
            endTracing(traced, Map.of(), e);
            throw e;
        } catch (RuntimeException | Error e) {
            endTracing(traced, Map.of(), TransportException.retryable("the relay failed while sending: " + e, e));
            throw e;
        }
        endTracing(traced, results, null);
        return results;
    }

    private SendTracing.Send startTracing(List<OutboxMessage> batch) {
        try {
            return tracing.start(transport, batch);
        } catch (RuntimeException | LinkageError e) {
            tracingFailed("start", e);
            return null;
        }
    }

    /** The traced messages if they are the batch's events in its order; else the batch itself. */
    private List<OutboxMessage> tracedMessages(SendTracing.Send traced, List<OutboxMessage> batch) {
        List<OutboxMessage> messages;
        try {
            messages = traced.messages();
        } catch (RuntimeException | LinkageError e) {
            tracingFailed("messages", e);
            return batch;
        }
        boolean same = messages != null && messages.size() == batch.size();
        for (int i = 0; same && i < batch.size(); i++) {
            OutboxMessage m = messages.get(i);
            OutboxMessage original = batch.get(i);
            same = m != null && m.id().equals(original.id()) && m.seq() == original.seq()
                    && m.aggregateType().equals(original.aggregateType()) && m.aggregateId().equals(original.aggregateId());
        }
        if (!same) {
            tracingFailed("messages", new IllegalStateException(
                    "the traced messages are not the batch's events in its order; sending the batch untraced"));
            return batch;
        }
        return messages;
    }

    private void endTracing(SendTracing.Send traced, Map<UUID, SendResult> results, TransportException failure) {
        if (traced == null) {
            return;
        }
        try {
            traced.end(results, failure);
        } catch (RuntimeException | LinkageError e) {
            tracingFailed("end", e);
        }
    }

    private void tracingFailed(String step, Throwable e) {
        boolean first = !tracingFailureReported;
        tracingFailureReported = true;
        LOG.log(first ? Level.WARNING : Level.DEBUG, "tracing failed, delivery goes on untraced {0}", LogFields.of(
                "instance", config.instanceName(), "tracing", tracing.getClass().getName(), "step", step,
                "error", e.toString(), "repeats", first ? "logged at DEBUG" : null));
    }

    private Map<UUID, SendResult> call(List<OutboxMessage> batch) {
        Future<List<SendResult>> call = transportExecutor.submit(() -> transport.send(batch));
        List<SendResult> results;
        try {
            results = call.get(config.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw TransportException.retryable("the transport did not answer within " + config.sendTimeout(), e);
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw TransportException.retryable("interrupted while waiting for the transport (relay stopping)", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TransportException te) {
                throw te;
            }
            throw TransportException.retryable("the transport failed: " + e.getCause(), e.getCause());
        }
        Map<UUID, SendResult> byId = new HashMap<>();
        if (results != null) {
            for (SendResult r : results) {
                if (r != null) {
                    byId.putIfAbsent(r.eventId(), r);
                }
            }
        }
        return byId;
    }

    private EventStore.Failure failure(OutboxMessage m, TransportException e, Instant now) {
        int attempts = m.attempt();
        String error = (e.retryable() ? "retryable: " : "non-retryable: ") + e.getMessage();
        RetryPolicy.Decision decision = retryPolicy.decide(attempts, e, now, random);
        if (decision.dead()) {
            metrics.dead.increment();
            LOG.log(Level.WARNING, "event dead after its last attempt {0}", LogFields.of(
                    "event_id", m.id(), "trace_id", traceId(m), "type", m.type(), "attempts", attempts, "error", error));
            return new EventStore.Failure(m.id(), error, null, now);
        }
        LOG.log(Level.INFO, "event delivery failed, will retry {0}", LogFields.of(
                "event_id", m.id(), "trace_id", traceId(m), "attempt", attempts,
                "retry_in_ms", decision.delay().toMillis(), "error", error));
        return new EventStore.Failure(m.id(), error, decision.retryAt(), null);
    }

    /** The trace id part of a W3C traceparent, for log correlation. */
    private static String traceId(OutboxMessage m) {
        String tp = m.traceparent();
        return tp != null && tp.length() >= 35 ? tp.substring(3, 35) : null;
    }

    private void pauseTransport(TransportException e, int events) {
        metrics.transportErrors.increment();
        Duration delay = transportBackoff.delay(++consecutivePauses);
        pausedUntil = System.nanoTime() + delay.toNanos();
        RelayState before = state;
        enter(Phase.TRANSPORT_PAUSED, e.getMessage());
        // Said at WARN when the outage begins or its reason changes; the probes in between (one a
        // second at most) at DEBUG, so a long outage does not flood the log.
        boolean news = before.phase() != Phase.TRANSPORT_PAUSED || !Objects.equals(before.lastError(), e.getMessage());
        LOG.log(news ? Level.WARNING : Level.DEBUG, "transport unavailable, pausing {0}", LogFields.of(
                "instance", config.instanceName(), "events", events, "pause_ms", delay.toMillis(),
                "pauses", consecutivePauses, "error", e.getMessage()));
    }

    /**
     * An unexpected exception or error escaped an iteration. The open transaction is rolled back
     * (a claim that is rolled back marked nothing: its events are sent again), the session is
     * kept if it still works (and with it the slots), and the loop backs off, longer each time.
     */
    private void loopFailed(Throwable e) {
        dropPipeline(); // unmarked: sent again
        Duration delay = pauseBackoff.delay(++consecutiveLoopFailures);
        enter(Phase.FAILING, e.toString());
        LOG.log(Level.ERROR, "relay loop failed, rolled back, retrying " + LogFields.of(
                "instance", config.instanceName(), "retry_in_ms", delay.toMillis(), "error", e.toString()), e);
        Connection c = session;
        if (c != null) {
            try {
                c.rollback();
            } catch (SQLException | RuntimeException rollbackFailed) {
                closeSession(false); // unknown state: drop the session and its slots, reconnect
            }
        }
        pausedUntil = System.nanoTime() + delay.toNanos();
        pause(delay);
    }

    /**
     * Closes the session and waits before the next connect, backing off while the failure
     * persists. The root cause is logged at WARN when it is new, then again only after 30 s,
     * 60 s, … (at most every 10 minutes), with DEBUG lines in between; it is also the state's
     * last error, for {@code /ready}.
     */
    private void sessionLost(SQLException e) {
        dropPipeline(); // never marked on another session
        connected = false;
        slots.lost();
        closeSession(false);
        SessionFailure cause = SessionFailure.of(e, config.schema());
        if (cause.sqlState() == null && outage != null && outage.cause.sqlState() != null) {
            // A pool timeout that carries no reason (the pool's connect attempt had not failed
            // yet) is the known failure still going on, not a new one to log.
            cause = outage.cause;
        }
        Duration delay = pauseBackoff.delay(++consecutiveConnectFailures);
        enter(Phase.DATABASE_UNAVAILABLE, cause.describe());
        Instant now = clock.instant();
        Level level;
        String message;
        if (outage == null || !cause.sameAs(outage.cause)) {
            outage = outage == null ? new Outage(cause, now, 1, now)
                    : new Outage(cause, outage.since, outage.failures + 1, now);
            level = Level.WARNING;
            message = "database unavailable, reconnecting {0}";
        } else {
            outage.failures++;
            level = Level.DEBUG;
            message = "database still unavailable, reconnecting {0}";
            if (!now.isBefore(outage.nextLog)) {
                level = Level.WARNING;
                outage.logInterval = min(outage.logInterval.multipliedBy(2), OUTAGE_LOG_MAX_INTERVAL);
                outage.nextLog = now.plus(outage.logInterval);
            }
        }
        LOG.log(level, message, LogFields.of("instance", config.instanceName(), "sql_state", cause.sqlState(),
                "error", cause.message(), "failures", outage.failures, "since", outage.since,
                "retry_in_ms", delay.toMillis()));
        pause(delay);
    }

    /** A database failure from its first occurrence until a session works again. */
    private static final class Outage {
        final SessionFailure cause;
        final Instant since;
        int failures;
        Duration logInterval = OUTAGE_LOG_FIRST_REPEAT;
        Instant nextLog;

        /** Logged now; logged again after {@link #OUTAGE_LOG_FIRST_REPEAT} if it persists. */
        Outage(SessionFailure cause, Instant since, int failures, Instant loggedAt) {
            this.cause = cause;
            this.since = since;
            this.failures = failures;
            this.nextLog = loggedAt.plus(logInterval);
        }
    }

    private void pause(Duration duration) {
        if (!running || duration.isZero()) {
            return;
        }
        long millis = Math.max(1, duration.toMillis());
        try {
            if (config.listenNotify() && session != null) {
                // Returns early when an event is announced. Waits in short slices so that stop()
                // is noticed promptly: a blocked socket read does not see interrupts.
                PGConnection listener = session.unwrap(PGConnection.class);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
                long left;
                while (running && (left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) > 0) {
                    var notifications = listener.getNotifications((int) Math.min(left, LISTEN_SLICE_MILLIS));
                    if (notifications != null && notifications.length > 0) {
                        break;
                    }
                }
            } else {
                synchronized (wakeUp) {
                    if (running) {
                        wakeUp.wait(millis);
                    }
                }
            }
        } catch (SQLException e) {
            sessionLost(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void closeSession(boolean graceful) {
        Connection c = session;
        session = null;
        connected = false;
        if (c == null) {
            return;
        }
        if (graceful) {
            try {
                c.rollback();
                registry.leave(c); // before the locks: no reader joins them with a stale row
                slots.releaseAll(c); // a pooled connection must not keep our locks
                try (Statement s = c.createStatement()) {
                    s.execute("UNLISTEN *");
                }
                c.commit();
                LOG.log(Level.INFO, "relay released its slots {0}", LogFields.of("instance", config.instanceName()));
            } catch (SQLException e) {
                LOG.log(Level.DEBUG, "could not release slots cleanly: " + e.getMessage());
            }
        }
        slots.lost();
        registry.sessionEnded();
        closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // the connection is unusable anyway
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
