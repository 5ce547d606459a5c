package dev.outbox.relay.transport.pubsub;

import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.testing.EmulatorRestartContract;
import dev.outbox.relay.testing.PrivateEmulator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * A Pub/Sub emulator of this test alone ({@code gcloud beta emulators pubsub start} on a free
 * port) killed with SIGKILL while a relay drains 2,000 events over 100 keys, and started again:
 * see {@link EmulatorRestartContract} for what is checked.
 *
 * <p><b>Accounting.</b> The emulator keeps topics, subscriptions and messages in memory only
 * ({@code --data-dir} holds nothing but its {@code env.yaml}; Google documents that resources and
 * messages last for the emulator session), so after the restart the topic and the subscription
 * (message ordering on) are created anew and a new subscriber reads from then on. The messages
 * the emulator had acknowledged but the subscriber had not received when it died are lost with
 * it; the contract checks that each of them was marked published before the restart (the
 * emulator had acknowledged it), and that every event marked after the restart arrived. The
 * subscriber receives a key's messages in publish order, so per-key order is checked within each
 * life of the emulator.
 */
class PubSubEmulatorRestartIT extends EmulatorRestartContract {
    private final List<String> ids = Collections.synchronizedList(new ArrayList<>());
    private Emulator admin;

    /** A few thousand: the emulator takes them within seconds, also when it was just started (cold). */
    @Override
    protected int events() {
        return 2_000;
    }

    @Override
    protected PrivateEmulator startEmulator() {
        return PrivateEmulator.pubSub(Emulator.PROJECT);
    }

    @Override
    protected TransportFactory factory() {
        return new PubSubTransportFactory();
    }

    @Override
    protected Map<String, String> config(String aggregateType, String address) {
        // Publishes are awaited for less than the relay's send timeout (20 s), so the transport reports the outage;
        // while the emulator is down every probe waits this long (the client retries UNAVAILABLE until then).
        return Map.of(PubSubSettings.PROJECT.env(), Emulator.PROJECT, PubSubSettings.ENDPOINT.env(), address,
                PubSubSettings.TIMEOUT.env(), "5s");
    }

    @Override
    protected void createDestinationAndConsume(String aggregateType) throws Exception {
        admin = new Emulator(emulator.address());
        admin.createTopic(aggregateType);
        admin.subscribe(aggregateType, m -> ids.add(m.headers().get("ce-id")));
    }

    /** Nothing survived: the old subscriber is stopped, the topic and subscription made again, a new subscriber reads. */
    @Override
    protected boolean recover(String aggregateType) throws Exception {
        Emulator old = admin;
        admin = null;
        try {
            old.close(); // its topic and subscription are gone already: nothing to delete
        } catch (TimeoutException e) {
            // a subscriber of the killed emulator that did not stop in time: it reads nothing any more
        }
        createDestinationAndConsume(aggregateType);
        return false;
    }

    @Override
    protected List<String> received() {
        synchronized (ids) {
            return List.copyOf(ids);
        }
    }

    @Override
    protected boolean keepsPerKeyOrder() {
        return true;
    }

    @Override
    protected void cleanUp() throws Exception {
        if (admin != null) {
            admin.close();
        }
    }
}
