package dev.outbox.relay.transport.log;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import java.io.PrintStream;
import java.util.List;
import java.util.Objects;

/**
 * The {@code log} transport ({@code OUTBOX_TRANSPORT=log}, the sidecar's default): every event as a
 * JSON line on stdout. Found by {@link java.util.ServiceLoader}; it reads no configuration keys
 * and cannot fail to start.
 */
public final class LogTransportFactory implements TransportFactory {
    private final PrintStream out;

    /** Writes to {@link System#out} (as resolved when the transport is created). */
    public LogTransportFactory() {
        this.out = null;
    }

    /** Writes to {@code out}, e.g. a stream the embedding code captures. */
    public LogTransportFactory(PrintStream out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    @Override
    public String name() {
        return "log";
    }

    @Override
    public ConfigModel config() {
        return ConfigModel.of(name(), List.of());
    }

    @Override
    public Transport create(ConfigValues values) {
        return new LogTransport(out != null ? out : System.out);
    }
}
