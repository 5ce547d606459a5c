package dev.outbox.bench;

import dev.outbox.relay.spi.OutboxMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The best a hand-written publisher can do with the relay's ordering promise (a key's next event
 * is sent only after the previous one was acknowledged) and a broker client that takes requests
 * of up to {@code batchSize} events, {@code concurrency} at a time: it keeps every request slot
 * busy with the oldest events whose keys have nothing in flight, without waiting for a whole
 * wave. Used as the ceiling for the SQS and EventBridge transports.
 */
public final class KeyPipeline {

    /** Sends one request and returns when the broker acknowledged all of it; throws otherwise. */
    @FunctionalInterface
    public interface Request {
        void send(List<OutboxMessage> batch) throws Exception;
    }

    private final Map<String, Deque<OutboxMessage>> pending = new LinkedHashMap<>();
    /** Keys whose next event may go: nothing of theirs in flight. Oldest head first (they were queued in order). */
    private final Deque<String> ready = new ArrayDeque<>();
    private int remaining;
    private Exception failure;

    private KeyPipeline(List<OutboxMessage> messages) {
        for (OutboxMessage m : messages) {
            pending.computeIfAbsent(key(m), k -> new ArrayDeque<>()).add(m);
        }
        ready.addAll(pending.keySet());
        remaining = messages.size();
    }

    /** Sends every message; returns when all were acknowledged. */
    public static void run(List<OutboxMessage> messages, int batchSize, int concurrency, Request request)
            throws Exception {
        KeyPipeline p = new KeyPipeline(messages);
        ExecutorService workers = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                done.add(workers.submit(() -> {
                    p.work(batchSize, request);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            workers.shutdownNow();
        }
        if (p.failure != null) {
            throw p.failure;
        }
    }

    private void work(int batchSize, Request request) throws InterruptedException {
        while (true) {
            List<OutboxMessage> batch = new ArrayList<>(batchSize);
            synchronized (this) {
                while (ready.isEmpty() && remaining > 0 && failure == null) {
                    wait();
                }
                if (remaining == 0 || failure != null) {
                    notifyAll();
                    return;
                }
                while (batch.size() < batchSize && !ready.isEmpty()) {
                    batch.add(pending.get(ready.poll()).poll());
                }
            }
            Exception failed = null;
            try {
                request.send(batch);
            } catch (Exception e) {
                failed = e;
            }
            synchronized (this) {
                remaining -= batch.size();
                if (failed != null && failure == null) {
                    failure = failed;
                }
                for (OutboxMessage m : batch) {
                    if (!pending.get(key(m)).isEmpty()) {
                        ready.add(key(m));
                    }
                }
                notifyAll();
            }
        }
    }

    private static String key(OutboxMessage m) {
        return m.aggregateType() + '\u0000' + m.aggregateId();
    }
}
