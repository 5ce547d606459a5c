package dev.outbox.relay.sidecar;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.outbox.relay.Relay;
import dev.outbox.relay.spi.Transport;
import java.io.IOException;
import java.time.Clock;

/**
 * The running parts of {@code relay run}: the connection pool, the {@link Relay} and the HTTP
 * endpoints, started in that order and closed in reverse. Created by {@link RunCommand}.
 *
 * <p>A database that is down at start does not fail {@link #start}: the relay reconnects with
 * backoff (as it does after any outage) and {@code /ready} answers 503 until it is back. An HTTP
 * address that cannot be bound does fail it, after releasing what was already started.
 */
final class Sidecar implements AutoCloseable {
    static final String POOL_NAME = "outbox-relay";
    private static final long CONNECTION_TIMEOUT_MILLIS = 5_000;

    private final HikariDataSource dataSource;
    private final Relay relay;
    private final HttpEndpoints http;

    private Sidecar(HikariDataSource dataSource, Relay relay, HttpEndpoints http) {
        this.dataSource = dataSource;
        this.relay = relay;
        this.http = http;
    }

    /**
     * @param transport created from the configuration; closed by the relay
     * @throws IOException if the HTTP address cannot be bound
     */
    static Sidecar start(SidecarConfig config, Transport transport) throws IOException {
        HikariDataSource dataSource = new HikariDataSource(poolConfig(config));
        Relay relay = Relay.builder(dataSource, transport).config(config.relayConfig()).build();
        relay.start();
        HttpEndpoints http = null;
        try {
            if (config.httpEnabled()) {
                http = HttpEndpoints.start(config.httpHost(), config.httpPort(), dataSource, relay::stats,
                        config.relayConfig().schema(), config::redact, config.consoleEnabled()
                                ? new HttpEndpoints.ConsoleOptions(config.consoleToken(), Clock.systemUTC()) : null);
            }
        } catch (IOException | RuntimeException e) {
            relay.close();
            dataSource.close();
            throw e;
        }
        return new Sidecar(dataSource, relay, http);
    }

    private static HikariConfig poolConfig(SidecarConfig config) {
        HikariConfig pool = new HikariConfig();
        pool.setPoolName(POOL_NAME);
        pool.setJdbcUrl(config.jdbcUrl());
        if (config.jdbcUser() != null) {
            pool.setUsername(config.jdbcUser());
        }
        if (config.jdbcPassword() != null) {
            pool.setPassword(config.jdbcPassword());
        }
        // The relay keeps one connection for as long as it runs; the rest serve the HTTP endpoints' database
        // check, which runs in the background: no HTTP request waits for the connection timeout.
        // The console's worker and its replay thread hold one each at most, besides those: they never
        // make the health check wait for a connection.
        pool.setMaximumPoolSize(config.poolSize() + (config.httpEnabled() && config.consoleEnabled() ? 2 : 0));
        pool.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
        // Start even when the database is down: the relay retries and /ready tells the orchestrator.
        pool.setInitializationFailTimeout(-1);
        return pool;
    }

    Relay relay() {
        return relay;
    }

    /** The bound HTTP port, or -1 when HTTP is disabled. */
    int httpPort() {
        return http == null ? -1 : http.port();
    }

    /** Stops the relay (bounded by its shutdown timeout), then HTTP, then the pool. */
    @Override
    public void close() {
        try {
            relay.close();
        } finally {
            try {
                if (http != null) {
                    http.close();
                }
            } finally {
                dataSource.close();
            }
        }
    }
}
