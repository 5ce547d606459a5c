package dev.outbox.relay.sidecar;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.internal.ControlChars;
import dev.outbox.relay.ops.Operations;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Option;

/**
 * Base of the one-shot operator commands ({@code status}, {@code dead}, {@code replay},
 * {@code purge}): the same configuration as {@code run} (so an operator uses the
 * sidecar's environment as it is), a plain connection per command, and uniform exit codes —
 * 0 done, 1 the operation failed (message on stderr), 3 invalid configuration.
 */
abstract class OperatorCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "<file>",
            description = "Properties file with OUTBOX_* keys (default: $OUTBOX_CONFIG_FILE). Environment variables override it.")
    private Path configFile;

    protected final SidecarContext context;
    private SidecarConfig config;

    OperatorCommand(SidecarContext context) {
        this.context = context;
    }

    @Override
    public final Integer call() {
        try {
            config = SidecarConfig.load(context.env(), configFile, context.transports());
        } catch (ConfigurationException e) {
            e.problems().forEach(p -> context.err().println("configuration error: " + p));
            return Main.EXIT_CONFIGURATION;
        }
        try {
            return run();
        } catch (OutboxException e) {
            context.err().println("error: " + ControlChars.escape(config.redact(e.getMessage())));
            return Main.EXIT_FAILURE;
        } finally {
            context.out().flush();
            context.err().flush();
        }
    }

    /** The command itself; throw {@link OutboxException} for a failure the operator must see. */
    protected abstract int run();

    protected SidecarConfig config() {
        return config;
    }

    /** Connections as configured; no pool, since a command opens only a few. */
    protected DataSource dataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(config.jdbcUrl());
        if (config.jdbcUser() != null) {
            ds.setUser(config.jdbcUser());
        }
        if (config.jdbcPassword() != null) {
            ds.setPassword(config.jdbcPassword());
        }
        ds.setApplicationName("outbox-cli");
        return ds;
    }

    protected Operations operations() {
        return Operations.create(dataSource(), config.relayConfig().schema());
    }
}
