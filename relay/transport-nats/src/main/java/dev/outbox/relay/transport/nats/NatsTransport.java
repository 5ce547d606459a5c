package dev.outbox.relay.transport.nats;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.spi.Acks;
import dev.outbox.relay.internal.RelayLogs;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.TransportBuilder;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;

/**
 * Publishes outbox events to NATS JetStream: the {@code nats} transport. Created by
 * {@link NatsTransportFactory} or {@link #builder()}; the relay calls {@link #send} from one thread
 * at a time.
 *
 * <p><b>Acknowledged</b> means JetStream answered the publish with a PubAck: a stream that
 * captures the subject has stored the message (on disk with file storage, replicated when the
 * stream has replicas). A PubAck that says "duplicate" also counts: the stream already holds the
 * event, because a relay re-sent it (after a crash or a lost ack) within the stream's duplicate
 * window, where the {@code Nats-Msg-Id} header (the event id) lets the server store it once.
 *
 * <p><b>Sending.</b> A batch is published asynchronously, pipelined on one connection, and its
 * PubAcks are awaited together for at most {@code OUTBOX_NATS_ACK_TIMEOUT}. Events of a batch have
 * different ordering keys, so their relative order does not matter.
 *
 * <p><b>Failures.</b> Only an answer of the server about a message is charged to its event.
 * <ul>
 *   <li>Not connected (server unreachable, connection lost and not yet re-established): the whole
 *       batch fails with an outage ({@link TransportException#outage}), at once rather than after
 *       a timeout. The client reconnects by itself, indefinitely; a first connection that failed
 *       is retried by the next batch.</li>
 *   <li>No stream captures the subject (JetStream answers 503 "no responders"), the subject is
 *       not a valid literal subject, there is no route, a stored header cannot be a NATS header,
 *       or the message is larger than the server's {@code max_payload} (the message names both
 *       sizes): that event fails, permanently.</li>
 *   <li>JetStream refuses the message with an API error: permanent for 4xx errors (e.g. a message
 *       larger than the stream's {@code max_msg_size}), retryable for 5xx errors (a full stream
 *       with {@code discard: new}, storage trouble, JetStream temporarily unavailable).</li>
 *   <li>No PubAck within the timeout, a publish cut off by a lost connection: an outage for that
 *       event (the server said nothing about it), not charged; the relay pauses on it. When that
 *       is so for every message published, the whole batch fails with it (thrown).</li>
 * </ul>
 * The client's own error texts quote server URLs with their user info: messages, causes and log
 * lines go through {@link NatsSettings#scrubber()} first.
 */
public final class NatsTransport implements Transport {
    private static final long ACK_POLL_MILLIS = 100;
    private static final System.Logger LOG = RelayLogs.logger("dev.outbox.relay.transport.nats");

    private final NatsSettings settings;
    private final UnaryOperator<String> scrub;
    private final Options options;
    private final Object connectLock = new Object();
    private volatile Connection connection;
    private volatile JetStream jetStream;
    private volatile boolean closed;

    private NatsTransport(NatsSettings settings) {
        this.settings = settings;
        this.scrub = settings.scrubber();
        this.options = options(settings, new Listener(scrub));
    }

    /**
     * Creates the transport and tries to connect once. A server that cannot be reached now is not
     * an error: the relay may start before the broker, and the first batch connects.
     */
    static NatsTransport start(NatsSettings settings) {
        NatsTransport transport = new NatsTransport(settings);
        try {
            transport.connection();
        } catch (TransportException e) {
            LOG.log(System.Logger.Level.WARNING, "NATS not reachable yet; the first batch connects: " + e.getMessage());
        }
        return transport;
    }

    /** A builder for embedders: the settings of {@link NatsSettings#MODEL}, typed. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds a NATS transport for embedders, with the settings and checks of the sidecar's
     * {@code OUTBOX_NATS_*} keys ({@link NatsSettings#MODEL}). Each setter checks its value at once
     * and fails with an {@link OutboxException} naming the property, the rule and the value (e.g.
     * {@code nats.ackTimeout must be between 1ms and 10m (was 1h)}; URLs are shown without their
     * user info, the token never). {@link #build()} requires the server URL, checks that the
     * credentials file can be read and creates the transport as {@link NatsTransportFactory#create}
     * does: it tries to connect once, and a server not reachable yet is retried by the first batch.
     * <pre>Transport t = NatsTransport.builder().url("nats://127.0.0.1:4222").routes("Order=orders").build();</pre>
     */
    public static final class Builder extends TransportBuilder<Builder> {
        private Builder() {
            super(NatsSettings.MODEL, NatsSettings.ROUTE_DEFAULT);
        }

        /** See {@link NatsSettings#URL}: comma-separated server URLs. */
        public Builder url(String urls) {
            return set(NatsSettings.URL, urls);
        }

        /** See {@link NatsSettings#CREDENTIALS_FILE}. */
        public Builder credentialsFile(Path file) {
            return set(NatsSettings.CREDENTIALS_FILE, file == null ? null : file.toString());
        }

        /** See {@link NatsSettings#TOKEN}. */
        public Builder token(String token) {
            return set(NatsSettings.TOKEN, token);
        }

        /** See {@link NatsSettings#ACK_TIMEOUT}. */
        public Builder ackTimeout(Duration timeout) {
            return set(NatsSettings.ACK_TIMEOUT, timeout);
        }

        /**
         * @throws OutboxException if the server URL is missing (naming {@code nats.url}) or the
         *         credentials file cannot be read
         */
        @Override
        public Transport build() {
            return start(NatsSettings.from(values.build()));
        }
    }

    private static Options options(NatsSettings settings, Listener listener) {
        Options.Builder builder = new Options.Builder()
                .servers(settings.servers().toArray(String[]::new))
                .connectionName("outbox-relay")
                // Reconnect forever: an outage of any length must heal without restarting the relay.
                .maxReconnects(-1)
                .reconnectWait(Duration.ofSeconds(1))
                .connectionTimeout(min(settings.ackTimeout(), Duration.ofSeconds(5)))
                // Unanswered publishes are given up by our own bounded wait, not earlier by the client.
                .requestCleanupInterval(settings.ackTimeout())
                // A batch is flushed once after all its publishes, not once per message.
                .dontForceFlushOnRequest()
                .connectionListener(listener)
                .errorListener(listener);
        if (settings.credentialsFile() != null) {
            builder.authHandler(Nats.credentials(settings.credentialsFile().toString()));
        }
        if (settings.token() != null) {
            builder.token(settings.token().toCharArray());
        }
        return builder.build();
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        if (batch.isEmpty()) {
            return List.of();
        }
        Connection c = connection();
        if (c.getStatus() != Connection.Status.CONNECTED) {
            throw TransportException.outage("NATS connection is " + c.getStatus() + " (servers "
                    + settings.shownServers() + "); the client is reconnecting", null);
        }
        JetStream js = jetStream;
        long reconnects = c.getStatistics().getReconnects();
        SendResult[] results = new SendResult[batch.size()];
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            OutboxMessage m = batch.get(i);
            acks.add(null);
            String subject;
            try {
                subject = settings.router().destination(m);
            } catch (OutboxException e) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent(e.getMessage(), e));
                continue;
            }
            String problem = NatsMessages.subjectProblem(subject);
            if (problem != null) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent(problem, null));
                continue;
            }
            CloudEvent event = CloudEvent.of(m, settings.source());
            byte[] data = event.dataBytes();
            Headers headers;
            try {
                headers = NatsMessages.headers(event);
            } catch (IllegalArgumentException e) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent(
                        "NATS cannot carry this event: " + scrub.apply(e.getMessage()), null));
                continue;
            }
            long size = (long) data.length + headers.serializedLength();
            long maxPayload = c.getMaxPayload();
            if (maxPayload > 0 && size > maxPayload) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent("NATS cannot carry this event:"
                        + " its payload is " + data.length + " bytes, " + size + " bytes with headers, more than the"
                        + " server's max_payload of " + maxPayload + " bytes (raise max_payload in the server"
                        + " configuration, or make the event smaller)", null));
                continue;
            }
            try {
                acks.set(i, js.publishAsync(subject, headers, data));
            } catch (IllegalArgumentException e) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent(
                        "NATS cannot carry this event: " + scrub.apply(e.getMessage()), null));
            } catch (IllegalStateException e) {
                // Connection closed or lost between the status check and this publish.
                results[i] = SendResult.failed(m.id(), TransportException.outage(
                        "publishing to " + subject + " failed: " + scrub.apply(e.getMessage()), null));
            }
        }
        flush(c);
        await(c, reconnects, batch, acks, results);
        return Arrays.asList(results);
    }

    /**
     * Waits for the PubAcks until the ack timeout. A PubAck whose request went out on a connection
     * that was lost meanwhile never comes (the client does not fail pending requests when it
     * reconnects), so the wait also ends, as an outage, as soon as the connection is down or was
     * re-established: checked every {@value #ACK_POLL_MILLIS} ms. When JetStream acknowledged
     * none of the batch and none of it was refused, the whole batch fails (thrown).
     */
    private void await(Connection c, long reconnects, List<OutboxMessage> batch,
                       List<CompletableFuture<PublishAck>> acks, SendResult[] results) {
        long deadline = System.nanoTime() + settings.ackTimeout().toNanos();
        List<Acks.Ack<PublishAck>> outcomes;
        try {
            outcomes = Acks.awaitAll(acks, deadline, Duration.ofMillis(ACK_POLL_MILLIS), () -> lost(c, reconnects) != null);
        } catch (InterruptedException e) {
            // The relay's send timeout: give up the rest; the relay retries the batch.
            acks.stream().filter(f -> f != null).forEach(f -> f.cancel(false));
            Thread.currentThread().interrupt();
            throw TransportException.outage("interrupted while waiting for JetStream PubAcks", null);
        }
        String lost = lost(c, reconnects); // once set, the PubAcks not in yet will not come
        List<SendResult> published = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Acks.Ack<PublishAck> ack = outcomes.get(i);
            if (ack == null) {
                continue;
            }
            OutboxMessage m = batch.get(i);
            if (ack.pending()) {
                acks.get(i).cancel(false);
                results[i] = SendResult.failed(m.id(), TransportException.outage(lost != null
                        ? "no PubAck from JetStream: the connection " + lost + " while waiting for it"
                        : "no PubAck from JetStream within " + settings.ackTimeout() + " ("
                                + NatsSettings.ACK_TIMEOUT.env() + ")", null));
            } else if (ack.failure() != null) {
                results[i] = SendResult.failed(m.id(), failure(ack.failure(), scrub));
            } else {
                results[i] = SendResult.acknowledged(m.id());
            }
            published.add(results[i]);
        }
        SendResult.wholeBatchFailure(published, TransportException::outage).ifPresent(silence -> {
            throw silence; // JetStream answered nothing of the batch: the whole batch, not each event
        });
    }

    /** Why the PubAcks still missing will not come (the connection is down or was re-established), or {@code null}. */
    private static String lost(Connection c, long reconnects) {
        return c.getStatus() != Connection.Status.CONNECTED ? "is " + c.getStatus()
                : c.getStatistics().getReconnects() != reconnects ? "was re-established" : null;
    }

    /**
     * Classifies a failed publish by what the server said: an API error or a status reply is an
     * answer about the message; anything else (cancelled, connection lost) is an outage.
     */
    static TransportException failure(Throwable thrown, UnaryOperator<String> scrub) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof JetStreamApiException api) {
                String message = "JetStream refused the message: " + scrub.apply(api.getMessage());
                // 5xx: the stream may accept it later (full with discard=new, storage or cluster trouble).
                return api.getErrorCode() >= 500 ? TransportException.retryable(message, null)
                        : TransportException.permanent(message, null);
            }
            if (t instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith("Error Publishing")) {
                // jnats reports a status reply to a JetStream publish this way; the only one the
                // server sends is 503 "no responders": no stream captures the subject. Nothing
                // will store this event until an operator adds a stream.
                return TransportException.permanent("no JetStream stream captures the subject ("
                        + scrub.apply(io.getMessage()) + "); add a stream with nats stream add", null);
            }
        }
        if (thrown instanceof CancellationException) {
            return TransportException.outage("publish cancelled before a PubAck arrived (connection lost?)", null);
        }
        Throwable cause = thrown instanceof ExecutionException && thrown.getCause() != null ? thrown.getCause() : thrown;
        return TransportException.outage("publish failed without an answer from JetStream: "
                + scrub.apply(cause.toString()), Redaction.copy(cause, scrub));
    }

    private void flush(Connection c) {
        try {
            c.flushBuffer();
        } catch (IOException | IllegalStateException e) {
            // The writer flushes on its own as well; a real outage shows up in the PubAcks.
            LOG.log(System.Logger.Level.DEBUG, "flushing the NATS connection failed: " + scrub.apply(e.getMessage()));
        }
    }

    /**
     * The connection, connecting first if no connection was ever established or the client gave
     * the last one up (it closes a connection itself, despite unlimited reconnects, e.g. when the
     * server keeps refusing its credentials).
     */
    private Connection connection() {
        Connection c = connection;
        if (c != null && c.getStatus() != Connection.Status.CLOSED) {
            return c;
        }
        synchronized (connectLock) {
            if (closed) {
                throw TransportException.outage("the NATS transport is closed", null);
            }
            if (connection == null || connection.getStatus() == Connection.Status.CLOSED) {
                connection = null;
                try {
                    Connection fresh = Nats.connect(options);
                    jetStream = fresh.jetStream();
                    connection = fresh;
                    LOG.log(System.Logger.Level.INFO, "connected to NATS at "
                            + Redaction.url(String.valueOf(fresh.getConnectedUrl())));
                } catch (IOException | RuntimeException e) {
                    // jnats appends the server URLs, user info included, to its message.
                    throw TransportException.outage("cannot connect to NATS at "
                            + settings.shownServers() + ": "
                            + scrub.apply(e.getMessage()), Redaction.copy(e, scrub));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw TransportException.outage("interrupted while connecting to NATS", null);
                }
            }
            return connection;
        }
    }

    /** Closes the connection; pending PubAcks are abandoned (their events stay unpublished). */
    /** OpenTelemetry's {@code messaging.system} value for this broker. */
    @Override
    public String system() {
        return "nats";
    }

    /** The subject the event's route names; {@code null} when none does. */
    @Override
    public String destination(OutboxMessage message) {
        return settings.router().destinationIfRoutable(message);
    }

    @Override
    public void close() {
        Connection c;
        synchronized (connectLock) {
            closed = true;
            c = connection;
        }
        if (c != null) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * Logs connection state changes (operators see an outage and its end) and server errors. The
     * client's own listener logs every failed reconnect attempt as SEVERE, once a second for as
     * long as an outage lasts; the relay already reports the outage through failed batches.
     */
    private static final class Listener implements ConnectionListener, ErrorListener {
        private final UnaryOperator<String> scrub;

        Listener(UnaryOperator<String> scrub) {
            this.scrub = scrub;
        }

        // The only abstract method; jnats deprecated it in favour of a default overload that calls it.
        @Override
        @SuppressWarnings("deprecation")
        public void connectionEvent(Connection conn, Events type) {
            System.Logger.Level level = switch (type) {
                case DISCONNECTED, CLOSED -> System.Logger.Level.WARNING;
                case RECONNECTED, RESUBSCRIBED, CONNECTED -> System.Logger.Level.INFO;
                default -> System.Logger.Level.DEBUG;
            };
            LOG.log(level, "NATS connection " + type.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
        }

        @Override
        public void errorOccurred(Connection conn, String error) {
            // Errors the server sent (-ERR), e.g. an authorization violation.
            LOG.log(System.Logger.Level.WARNING, "NATS server error: " + scrub.apply(error));
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            LOG.log(System.Logger.Level.DEBUG, "NATS client exception: " + scrub.apply(String.valueOf(exp)));
        }
    }
}
