package dev.outbox.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run must remove (scratch databases, topics, queues), also when it is interrupted: each
 * scenario removes its things itself when it ends, and a JVM shutdown hook (Ctrl-C, SIGTERM)
 * removes whatever is still registered then, newest first.
 */
public final class Cleanups {

    /** Removes something; may throw, which is reported, not propagated, by the shutdown hook. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /** A registered removal: {@link #run()} runs it once and forgets it. */
    public final class Registration {
        private final Action action;

        private Registration(Action action) {
            this.action = action;
        }

        /** Removes it now, once; later calls do nothing. */
        public void run() {
            boolean pending;
            synchronized (Cleanups.this) {
                pending = registered.remove(this) != null;
            }
            if (pending) {
                try {
                    action.run();
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }
        }
    }

    private final Map<Registration, String> registered = new LinkedHashMap<>();

    /** @param what for the message if the shutdown hook has to run it and it fails */
    public synchronized Registration register(String what, Action action) {
        Registration r = new Registration(action);
        registered.put(r, what);
        return r;
    }

    /** Runs every registration still pending, newest first (the shutdown hook). */
    public void runPending() {
        List<Map.Entry<Registration, String>> pending;
        synchronized (this) {
            pending = new ArrayList<>(registered.entrySet());
        }
        for (int i = pending.size() - 1; i >= 0; i--) {
            try {
                pending.get(i).getKey().run();
            } catch (RuntimeException e) {
                System.err.println("bench: could not remove " + pending.get(i).getValue() + ": " + e);
            }
        }
    }
}
