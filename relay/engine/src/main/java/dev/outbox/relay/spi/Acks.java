package dev.outbox.relay.spi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Waiting for the acknowledgements of a batch against one deadline, for transports that hand
 * every event of a batch to their client first and then wait for the answers (Kafka's produce
 * futures, JetStream's PubAcks, HTTP responses). One deadline for the whole batch keeps the
 * call bounded however many events it holds: the time spent on one acknowledgement is not given
 * again to the next.
 *
 * <p>What an outcome means for the event stays the transport's to say: a {@link Ack#failure()}
 * is the client's own exception, and an {@link Ack#pending() pending} acknowledgement (no answer
 * by the deadline, or the wait was given up) is usually an outage
 * ({@link TransportException#outage}). Futures are never cancelled here.
 */
public final class Acks {
    private Acks() {
    }

    /**
     * What became of one acknowledgement: answered with {@code value}, failed with
     * {@code failure}, or {@code pending} (no answer when the wait ended).
     *
     * @param value the client's answer when it succeeded (may be {@code null} if the client answers so)
     * @param failure the cause of an {@link ExecutionException}, or the {@link CancellationException}
     *                of a cancelled future; {@code null} otherwise
     * @param pending whether the future was not done when the wait ended
     */
    public record Ack<T>(T value, Throwable failure, boolean pending) {

        /** The client confirmed the event. */
        public boolean acknowledged() {
            return !pending && failure == null;
        }
    }

    /**
     * Waits until every future is done or {@code deadlineNanos} passed.
     *
     * @param futures one per event; a {@code null} entry (an event not handed to the client) gives a {@code null} outcome
     * @param deadlineNanos a {@link System#nanoTime()} reading: the wait ends then, whatever is still pending
     * @return one outcome per future, in the same order
     * @throws InterruptedException if the thread is interrupted while waiting (the relay's send timeout)
     */
    public static <T> List<Ack<T>> awaitAll(List<? extends Future<? extends T>> futures, long deadlineNanos)
            throws InterruptedException {
        return awaitAll(futures, deadlineNanos, null, () -> false);
    }

    /**
     * Waits like {@link #awaitAll(List, long)}, and also asks {@code giveUp} every {@code checkEvery}
     * while an acknowledgement is outstanding: once it says {@code true} (say, the connection the
     * requests went out on is gone, so their answers will never come), the wait ends and what is not
     * done yet is pending.
     *
     * @param checkEvery how often to ask {@code giveUp}; {@code null} never asks
     */
    public static <T> List<Ack<T>> awaitAll(List<? extends Future<? extends T>> futures, long deadlineNanos,
                                            Duration checkEvery, BooleanSupplier giveUp) throws InterruptedException {
        long slice = checkEvery == null ? Long.MAX_VALUE : Math.max(1, checkEvery.toNanos());
        boolean gaveUp = false;
        List<Ack<T>> outcomes = new ArrayList<>(futures.size());
        for (Future<? extends T> future : futures) {
            if (future == null) {
                outcomes.add(null);
                continue;
            }
            long left;
            while (!future.isDone() && !gaveUp && (left = deadlineNanos - System.nanoTime()) > 0) {
                try {
                    future.get(Math.min(left, slice), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    gaveUp = checkEvery != null && giveUp.getAsBoolean();
                } catch (ExecutionException | CancellationException e) {
                    break; // done: read below
                }
            }
            outcomes.add(outcome(future));
        }
        return outcomes;
    }

    private static <T> Ack<T> outcome(Future<? extends T> future) throws InterruptedException {
        if (!future.isDone()) {
            return new Ack<>(null, null, true);
        }
        try {
            return new Ack<>(future.get(), null, false);
        } catch (ExecutionException e) {
            return new Ack<>(null, e.getCause() != null ? e.getCause() : e, false);
        } catch (CancellationException e) {
            return new Ack<>(null, e, false);
        }
    }
}
