package dev.outbox.spring.autoconfigure;

import dev.outbox.relay.Relay;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the embedded relay once the application context is refreshed and closes it when the
 * context stops, before the data source closes: the batch in flight finishes or is left
 * unmarked for another relay, within {@code outbox.relay.shutdown-timeout}. A relay runs once:
 * a context that is stopped and started again does not restart it.
 */
public final class RelayLifecycle implements SmartLifecycle {
    private final Relay relay;
    private volatile boolean running;

    RelayLifecycle(Relay relay) {
        this.relay = relay;
    }

    @Override
    public synchronized void start() {
        if (!running) {
            relay.start();
            running = true;
        }
    }

    @Override
    public synchronized void stop() {
        if (running) {
            relay.close();
            running = false;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
