package dev.outbox.relay.transport.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Tells "this topic does not exist" from "the cluster does not answer": the producer reports
 * both as a metadata timeout. Asks the cluster with {@link Admin#describeTopics} and remembers
 * the answer for a short while, so that a batch full of events for a missing topic, and the
 * retries of those events, cost one question rather than one producer metadata wait each.
 *
 * <p>Only the answers that fail events ({@link State#MISSING}, {@link State#FORBIDDEN}) are
 * cached, for {@link #TTL}: long enough to spare the cluster and the batch, short enough that a
 * topic an operator creates is used soon after. "Exists" and "unreachable" are asked afresh, so
 * that an outage is never mistaken for a per-event problem.
 */
final class TopicCheck {
    static final Duration TTL = Duration.ofSeconds(10);

    /** What the cluster said about a topic. */
    enum State { EXISTS, MISSING, FORBIDDEN, UNREACHABLE }

    /** The answer and, for {@link State#UNREACHABLE} and {@link State#FORBIDDEN}, why. */
    record Answer(State state, Throwable cause) {
    }

    private record Cached(Answer answer, long at) {
    }

    private final Admin admin;
    private final Duration timeout;
    private final LongSupplier nanoTime;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    TopicCheck(Admin admin, Duration timeout, LongSupplier nanoTime) {
        this.admin = admin;
        this.timeout = timeout;
        this.nanoTime = nanoTime;
    }

    /** The cached answer if it is still fresh, else {@code null}; never asks the cluster. */
    Answer cached(String topic) {
        Cached c = cache.get(topic);
        if (c == null || nanoTime.getAsLong() - c.at() > TTL.toNanos()) {
            return null;
        }
        return c.answer();
    }

    /**
     * Asks the cluster (or the cache) whether {@code topic} exists; waits at most the timeout.
     *
     * @throws InterruptedException if interrupted while waiting (the relay gave up on the batch)
     */
    Answer check(String topic) throws InterruptedException {
        Answer cached = cached(topic);
        if (cached != null) {
            return cached;
        }
        Answer answer;
        try {
            admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs((int) timeout.toMillis()))
                    .allTopicNames().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            return new Answer(State.EXISTS, null);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof UnknownTopicOrPartitionException || cause instanceof InvalidTopicException) {
                answer = new Answer(State.MISSING, cause);
            } else if (cause instanceof AuthorizationException) {
                answer = new Answer(State.FORBIDDEN, cause);
            } else {
                return new Answer(State.UNREACHABLE, cause);
            }
        } catch (TimeoutException e) {
            return new Answer(State.UNREACHABLE, e);
        }
        cache.put(topic, new Cached(answer, nanoTime.getAsLong()));
        return answer;
    }
}
