package dev.outbox.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Supplier;

/**
 * What one run of the suite owns: the work directory (logs, data of the private services, pid
 * files), the settings, and the private services, started on first use and stopped by
 * {@link #close()} in reverse order, also when a scenario failed.
 */
final class Lab implements AutoCloseable {
    final Path root;
    final Path work;
    final Settings settings;
    private final Deque<AutoCloseable> owned = new ArrayDeque<>();
    private PrivatePostgres postgres;
    private RedisServer redis;
    private NatsServer nats;
    private KafkaBroker kafka;
    private RabbitNode rabbit;

    Lab(Path root, Path work, Settings settings) {
        this.root = root;
        this.work = work;
        this.settings = settings;
        try {
            Files.createDirectories(work.resolve("pids"));
            Files.createDirectories(work.resolve("logs"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path relayJar() {
        return root.resolve("relay/distribution/target/outbox-relay/relay.jar");
    }

    Path logFile(String name) {
        return work.resolve("logs").resolve(name + ".log");
    }

    /** Registers something to stop when the lab closes (last registered, first stopped). */
    <T extends AutoCloseable> T own(T resource) {
        owned.push(resource);
        return resource;
    }

    PrivatePostgres postgres() {
        return postgres = started(postgres, () -> PrivatePostgres.start(this, 25432));
    }

    RedisServer redis() {
        return redis = started(redis, () -> RedisServer.start(this, 26379));
    }

    NatsServer nats() {
        return nats = started(nats, () -> NatsServer.start(this, 24222));
    }

    KafkaBroker kafka() {
        return kafka = started(kafka, () -> KafkaBroker.start(this, 29092, 29093));
    }

    RabbitNode rabbit() {
        return rabbit = started(rabbit, () -> RabbitNode.start(this, 35672, 35673));
    }

    private <T extends AutoCloseable> T started(T existing, Supplier<T> start) {
        return existing != null ? existing : own(start.get());
    }

    @Override
    public void close() {
        while (!owned.isEmpty()) {
            AutoCloseable resource = owned.pop();
            try {
                resource.close();
            } catch (Exception e) {
                System.err.println("chaos: stopping " + resource + " failed: " + e);
            }
        }
    }

    static boolean portOpen(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Fails if something already listens on {@code port}: the suite would test someone else's server. */
    static void requireFree(String what, int port) {
        if (portOpen(port)) {
            throw new IllegalStateException("127.0.0.1:" + port + " is in use, so the private " + what
                    + " cannot start there; stop what listens on it (a leftover of a killed run is cleaned by scripts/chaos)");
        }
    }

    /** Polls until {@code port} accepts connections; fails naming {@code what} and its log after {@code seconds}. */
    void awaitPort(String what, int port, int seconds) {
        Await.until(what + " accepting connections on 127.0.0.1:" + port + " (log: " + logFile(what) + ")",
                seconds * 1000L, () -> portOpen(port));
    }
}
