package dev.outbox.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A broker that is one server process of ours on 127.0.0.1 (redis-server, nats-server) with its
 * data under the work directory: started, crashed with kill -9 and started again on the same
 * data. Subclasses say how to start it and how to read it.
 */
abstract class ServerProcess implements Broker {
    protected final Lab lab;
    protected final int port;
    protected final Path dir;
    private final String name;
    private Proc proc;

    ServerProcess(Lab lab, String name, int port) {
        this.lab = lab;
        this.name = name;
        this.port = port;
        this.dir = lab.work.resolve(name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The server's command line. */
    abstract List<String> command();

    /** What identifies this process in its pid file (see {@link Proc}). */
    abstract String marker();

    /** Starts the server and returns once it accepts connections. */
    final void launch() {
        Lab.requireFree(name, port);
        proc = Proc.start(lab, name, command(), Map.of(), marker());
        lab.awaitPort(name, port, 30);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int port() {
        return port;
    }

    @Override
    public final void crash() {
        proc.kill9();
    }

    @Override
    public final void restart() {
        launch();
    }

    @Override
    public final void close() {
        proc.close();
    }
}
