package dev.outbox.relay.transport.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.ForgivingExceptionHandler;
import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.internal.LogFields;
import dev.outbox.relay.internal.RelayLogs;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.transport.TransportBuilder;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * Publishes outbox events to RabbitMQ with the official Java client: each event is a persistent
 * ({@code delivery-mode 2}), mandatory message to the exchange its route names, with routing key
 * from {@code OUTBOX_RABBITMQ_ROUTING_KEY}, in CloudEvents binary mode ({@link Publication}).
 * Created by {@link RabbitMqTransportFactory} or {@link #builder()}; called by the relay, one batch
 * at a time.
 *
 * <p><b>Acknowledged</b> means RabbitMQ sent a publisher confirm ({@code basic.ack}) for the
 * message and did not return it: it was routed to at least one queue, and persisted by every
 * durable queue it was routed to (the broker confirms persistent messages after writing them).
 * The whole batch is published on one channel in confirm mode and the confirms are awaited once,
 * at most {@code OUTBOX_RABBITMQ_CONFIRM_TIMEOUT}.
 *
 * <p><b>Failures.</b> Only the broker's answer about a message is charged to its event.
 * <ul>
 *   <li>Unroutable (returned: the exchange exists but no queue is bound for the routing key),
 *       no route, missing exchange (404) or access refused (403), a body larger than the broker's
 *       {@code max_message_size} (406; the message names the size and the limit): non-retryable
 *       for those events. Each of these but "unroutable" closes the channel; the other events of
 *       the batch are published again on a fresh channel within the same call.</li>
 *   <li>{@code basic.nack}: retryable for that event.</li>
 *   <li>Cannot connect, connection lost, resource alarm (publishing blocked), or no confirm at all
 *       within the timeout: the whole batch fails with a thrown outage
 *       ({@link TransportException#outage}, no attempt charged); the next batch reconnects.
 *       Events confirmed before a connection was lost are sent again then: duplicates, never
 *       loss.</li>
 *   <li>Some but not all confirms within the timeout (the broker stalled mid-batch): the
 *       unconfirmed events are outages, not charged.</li>
 * </ul>
 * The client's texts go through {@link RabbitMqSettings#scrubber()} (the URI's password).
 *
 * <p>The transport declares nothing (exchanges, queues and bindings are the operator's), except a
 * missing exchange as a durable topic exchange when {@code OUTBOX_RABBITMQ_DECLARE_EXCHANGE=true}.
 * It checks each exchange once per connection ({@code exchange.declare passive}) before publishing
 * to it, so that a missing exchange costs no channel in the middle of a batch.
 */
public final class RabbitMqTransport implements Transport {
    private static final System.Logger LOG = RelayLogs.logger("dev.outbox.relay.transport.rabbitmq");
    private static final String CONNECTION_NAME = "outbox-relay";
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int CLOSE_TIMEOUT_MS = 2_000;
    private static final int NOT_FOUND = 404;
    private static final int ACCESS_REFUSED = 403;
    /** RabbitMQ's channel errors name the exchange: "NOT_FOUND - no exchange 'x' in vhost '/'". */
    private static final Pattern EXCHANGE_IN_REPLY = Pattern.compile("exchange '(.*)' in vhost");
    private static final int PRECONDITION_FAILED = 406;
    /** RabbitMQ's refusal of a large message: "PRECONDITION_FAILED - message size 5000 is larger than configured max size 4096". */
    private static final Pattern SIZE_IN_REPLY = Pattern.compile("message size (\\d+) is larger than configured max size (\\d+)");
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final RabbitMqSettings settings;
    private final UnaryOperator<String> scrub;
    private final ConnectionFactory factory;
    private final Object lock = new Object();
    /** Exchanges known to exist on the current connection (checked passively). */
    private final Set<String> knownExchanges = new HashSet<>();
    private volatile Connection connection;
    private volatile String blockedReason;
    private volatile boolean closed;
    /** The broker's max_message_size once a refusal named it: larger bodies fail without a publish. */
    private volatile long maxMessageSize = -1;
    private Channel publisher;
    private Channel probe;

    RabbitMqTransport(RabbitMqSettings settings) {
        this.settings = settings;
        this.scrub = settings.scrubber();
        this.factory = connectionFactory(settings);
    }

    /** A builder for embedders: the settings of {@link RabbitMqSettings#MODEL}, typed. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        Map<UUID, SendResult> results = new LinkedHashMap<>();
        List<Publication> publications = new ArrayList<>(batch.size());
        for (OutboxMessage m : batch) {
            try {
                Publication p = Publication.of(m, settings);
                long max = maxMessageSize;
                if (max >= 0 && p.body().length > max) {
                    results.put(m.id(), SendResult.failed(m.id(), TransportException.permanent(
                            tooLarge(p.body().length, max), null)));
                } else {
                    publications.add(p);
                }
            } catch (TransportException e) {
                results.put(m.id(), SendResult.failed(m.id(), e));
            }
        }
        if (!publications.isEmpty()) {
            synchronized (lock) {
                ensureConnected();
                publish(checkExchanges(publications, results), results);
            }
        }
        List<SendResult> ordered = new ArrayList<>(batch.size());
        for (OutboxMessage m : batch) {
            SendResult r = results.get(m.id());
            ordered.add(r != null ? r : SendResult.failed(m.id(),
                    TransportException.outage("no publisher confirm for this event", null)));
        }
        return ordered;
    }

    /** Closes the connection, waiting at most 2 s for the broker; a send in progress then fails. */
    /**
     * Yes: a batch is published on one channel, in list order, and a queue keeps the order of one
     * channel's messages. A lost connection is not recovered by the client (automatic recovery is
     * off), so nothing published before the loss is replayed behind later messages.
     */
    @Override
    public boolean keepsOrderWithinBatch() {
        return true;
    }

    /** OpenTelemetry's {@code messaging.system} value for this broker. */
    @Override
    public String system() {
        return "rabbitmq";
    }

    /** The exchange (semconv: the exchange name, not the routing key) the event's route names; {@code null} when none does. */
    @Override
    public String destination(OutboxMessage message) {
        return settings.exchanges().destinationIfRoutable(message);
    }

    @Override
    public void close() {
        closed = true;
        Connection c = connection;
        if (c != null) {
            c.abort(CLOSE_TIMEOUT_MS);
        }
    }

    private void ensureConnected() {
        if (closed) {
            throw TransportException.outage("the rabbitmq transport is closed", null);
        }
        Connection c = connection;
        if (c == null || !c.isOpen()) {
            dropConnection();
            try {
                c = factory.newConnection(CONNECTION_NAME);
            } catch (IOException | TimeoutException | RuntimeException e) {
                throw TransportException.outage("cannot connect to RabbitMQ at " + settings.maskedUri() + ": "
                        + scrub.apply(reason(e)), Redaction.copy(e, scrub));
            }
            c.addBlockedListener(reason -> blockedReason = reason, () -> blockedReason = null);
            connection = c;
            if (closed) { // close() ran while connecting and could not see this connection
                dropConnection();
                throw TransportException.outage("the rabbitmq transport is closed", null);
            }
            LOG.log(Level.INFO, "connected to RabbitMQ {0}", LogFields.of("uri", settings.maskedUri()));
        }
        String blocked = blockedReason;
        if (blocked != null) {
            // Publishes would hang in socket writes until the alarm clears; the relay pauses instead.
            throw TransportException.outage("RabbitMQ blocks publishing (resource alarm: " + blocked + ")", null);
        }
    }

    private void dropConnection() {
        Connection c = connection;
        connection = null;
        publisher = null;
        probe = null;
        blockedReason = null;
        knownExchanges.clear();
        if (c != null) {
            c.abort(CLOSE_TIMEOUT_MS);
        }
    }

    /** Fails the events of missing or refused exchanges (declaring them if configured); returns the rest. */
    private List<Publication> checkExchanges(List<Publication> publications, Map<UUID, SendResult> results) {
        Set<String> exchanges = new LinkedHashSet<>();
        publications.forEach(p -> exchanges.add(p.exchange()));
        Map<String, String> unusable = new LinkedHashMap<>();
        for (String exchange : exchanges) {
            if (!knownExchanges.contains(exchange)) {
                String problem = checkExchange(exchange);
                if (problem == null) {
                    knownExchanges.add(exchange);
                } else {
                    unusable.put(exchange, problem);
                }
            }
        }
        if (unusable.isEmpty()) {
            return publications;
        }
        List<Publication> usable = new ArrayList<>(publications.size());
        for (Publication p : publications) {
            String problem = unusable.get(p.exchange());
            if (problem == null) {
                usable.add(p);
            } else {
                UUID id = p.message().id();
                results.put(id, SendResult.failed(id, TransportException.permanent(problem, null)));
            }
        }
        return usable;
    }

    /** {@code null} if the exchange exists (or was declared), else why it cannot be used. */
    private String checkExchange(String exchange) {
        try {
            probe().exchangeDeclarePassive(exchange);
            return null;
        } catch (IOException | ShutdownSignalException e) {
            AMQP.Channel.Close refused = channelError(e);
            if (refused == null) {
                throw connectionTrouble("checking exchange " + exchange, e);
            }
            if (refused.getReplyCode() != NOT_FOUND) {
                return "exchange " + exchange + " cannot be used (RabbitMQ " + refused.getReplyText() + ")";
            }
        }
        if (!settings.declareExchange()) {
            return missingExchange(exchange);
        }
        try {
            probe().exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
            LOG.log(Level.INFO, "declared missing exchange {0}", LogFields.of("exchange", exchange, "type", "topic"));
            return null;
        } catch (IOException | ShutdownSignalException e) {
            AMQP.Channel.Close refused = channelError(e);
            if (refused == null) {
                throw connectionTrouble("declaring exchange " + exchange, e);
            }
            return "exchange " + exchange + " does not exist and cannot be declared (RabbitMQ "
                    + refused.getReplyText() + ")";
        }
    }

    private String missingExchange(String exchange) {
        return "exchange " + exchange + " does not exist (RabbitMQ 404 NOT_FOUND): create it and bind queues, route"
                + " the event elsewhere, or set " + RabbitMqSettings.DECLARE_EXCHANGE.env() + "=true";
    }

    /** A channel for passive declarations, which close it when the exchange is missing. */
    private Channel probe() throws IOException {
        if (probe == null || !probe.isOpen()) {
            probe = createChannel();
        }
        return probe;
    }

    private Channel publisher() throws IOException {
        if (publisher == null || !publisher.isOpen()) {
            Channel channel = createChannel();
            channel.confirmSelect();
            publisher = channel;
        }
        return publisher;
    }

    private Channel createChannel() throws IOException {
        Channel channel = connection.createChannel();
        if (channel == null) {
            throw new IOException("no free channel number on the connection");
        }
        return channel;
    }

    /**
     * Publishes everything, then waits once for the confirms. When an exchange disappeared since
     * it was checked, the broker closes the channel (404): those events fail, the others are
     * published again on a new channel. Each such round removes at least one exchange, so the
     * loop ends.
     */
    private void publish(List<Publication> publications, Map<UUID, SendResult> results) {
        long deadline = System.nanoTime() + settings.confirmTimeout().toNanos();
        List<Publication> todo = publications;
        List<SendResult> confirmed = new ArrayList<>(); // the broker's answers in every round
        while (!todo.isEmpty()) {
            Channel channel;
            try {
                channel = publisher();
            } catch (IOException | ShutdownSignalException e) {
                throw connectionTrouble("opening a channel", e);
            }
            Confirms confirms = new Confirms();
            channel.addConfirmListener(confirms);
            channel.addReturnListener(confirms);
            channel.addShutdownListener(confirms);
            List<Publication> unpublished = new ArrayList<>();
            Exception publishFailure = null;
            boolean complete;
            try {
                for (int i = 0; i < todo.size(); i++) {
                    Publication p = todo.get(i);
                    long seqNo = channel.getNextPublishSeqNo();
                    confirms.expect(seqNo, p);
                    try {
                        channel.basicPublish(p.exchange(), p.routingKey(), true, p.properties(), p.body());
                    } catch (IOException | ShutdownSignalException e) {
                        confirms.forget(seqNo);
                        unpublished.addAll(todo.subList(i, todo.size()));
                        publishFailure = e;
                        break;
                    }
                }
                complete = confirms.await(deadline);
            } catch (InterruptedException e) {
                // The relay gave up on this call (send timeout or stopping).
                abandon();
                Thread.currentThread().interrupt();
                throw TransportException.outage("interrupted while waiting for RabbitMQ's publisher confirms", null);
            } finally {
                channel.removeConfirmListener(confirms);
                channel.removeReturnListener(confirms);
                channel.removeShutdownListener(confirms);
            }
            Map<UUID, SendResult> outcomes = confirms.outcomes();
            results.putAll(outcomes);
            confirmed.addAll(outcomes.values());
            if (complete && unpublished.isEmpty()) {
                return;
            }
            List<Publication> open = confirms.unconfirmed();
            open.addAll(unpublished);
            // The close reason is set before shutdown listeners run, and a publish that failed on a
            // closed channel may be seen before them.
            ShutdownSignalException shutdown = channel.getCloseReason();
            if (shutdown == null && publishFailure == null) {
                abandon();
                String message = "no publisher confirm from RabbitMQ within " + settings.confirmTimeout() + " ("
                        + RabbitMqSettings.CONFIRM_TIMEOUT.env() + ") for " + open.size() + " messages";
                // The broker stopped answering: an outage, whether it confirmed part of the batch or not.
                TransportException silence = TransportException.outage(message, null);
                List<SendResult> published = new ArrayList<>(confirmed);
                open.forEach(p -> published.add(SendResult.failed(p.message().id(), silence)));
                SendResult.wholeBatchFailure(published, TransportException::outage).ifPresent(whole -> {
                    throw whole;
                });
                fail(open, silence, results);
                return;
            }
            AMQP.Channel.Close refused = shutdown == null ? null : channelError(shutdown);
            if (refused == null) {
                throw connectionTrouble("publishing", shutdown != null ? shutdown : publishFailure);
            }
            publisher = null;
            todo = afterChannelError(refused, open, results);
        }
    }

    /**
     * Fails the events a channel error names (by exchange, or by size above the broker's
     * max_message_size); returns the others, to publish again.
     */
    private List<Publication> afterChannelError(AMQP.Channel.Close refused, List<Publication> open,
                                                Map<UUID, SendResult> results) {
        Matcher size = SIZE_IN_REPLY.matcher(refused.getReplyText());
        if (refused.getReplyCode() == PRECONDITION_FAILED && size.find()) {
            long max = Long.parseLong(size.group(2));
            maxMessageSize = max;
            List<Publication> again = new ArrayList<>();
            for (Publication p : open) {
                if (p.body().length > max) {
                    UUID id = p.message().id();
                    results.put(id, SendResult.failed(id, TransportException.permanent(tooLarge(p.body().length, max),
                            null)));
                } else {
                    again.add(p);
                }
            }
            if (again.size() < open.size()) {
                return again;
            }
        }
        Matcher named = EXCHANGE_IN_REPLY.matcher(refused.getReplyText());
        String exchange = named.find() ? named.group(1) : null;
        boolean byExchange = exchange != null
                && (refused.getReplyCode() == NOT_FOUND || refused.getReplyCode() == ACCESS_REFUSED);
        List<Publication> again = new ArrayList<>();
        List<Publication> culprits = new ArrayList<>();
        for (Publication p : open) {
            (byExchange && p.exchange().equals(exchange) ? culprits : again).add(p);
        }
        if (culprits.isEmpty()) {
            // Not attributable to an event of this batch: nothing to leave out, so no new round.
            fail(open, TransportException.retryable("RabbitMQ closed the channel: " + refused.getReplyText(), null),
                    results);
            return List.of();
        }
        knownExchanges.remove(exchange);
        String problem = refused.getReplyCode() == NOT_FOUND ? missingExchange(exchange)
                : "exchange " + exchange + " cannot be used (RabbitMQ " + refused.getReplyText() + ")";
        fail(culprits, TransportException.permanent(problem, null), results);
        return again;
    }

    private static String tooLarge(int size, long max) {
        return "the message body is " + size + " bytes, larger than RabbitMQ's max_message_size of " + max
                + " bytes (raise max_message_size in rabbitmq.conf or make the event smaller)";
    }

    private static void fail(List<Publication> publications, TransportException failure, Map<UUID, SendResult> results) {
        for (Publication p : publications) {
            results.put(p.message().id(), SendResult.failed(p.message().id(), failure));
        }
    }

    /**
     * Gives up on a channel whose confirms are overdue, so that late confirms cannot be taken for
     * the next batch's. The whole connection goes: closing only the channel waits for the
     * broker's close-ok as long as an RPC may take, while aborting the connection is bounded.
     */
    private void abandon() {
        dropConnection();
    }

    private TransportException connectionTrouble(String doing, Exception e) {
        String why = e == null ? "unknown" : scrub.apply(reason(e));
        dropConnection();
        return TransportException.outage("RabbitMQ connection failed while " + doing + ": " + why,
                Redaction.copy(e, scrub));
    }

    /** The broker's channel-level refusal behind {@code e}, or {@code null} for connection trouble. */
    private static AMQP.Channel.Close channelError(Exception e) {
        Throwable t = e;
        while (t != null && !(t instanceof ShutdownSignalException)) {
            t = t.getCause();
        }
        if (t instanceof ShutdownSignalException s && !s.isHardError() && !s.isInitiatedByApplication()
                && s.getReason() instanceof AMQP.Channel.Close c) {
            return c;
        }
        return null;
    }

    /** A short description of what went wrong, from the broker's reply where there is one. */
    private static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ShutdownSignalException s) {
                if (s.getReason() instanceof AMQP.Connection.Close c) {
                    return "RabbitMQ closed the connection: " + c.getReplyText();
                }
                if (s.getReason() instanceof AMQP.Channel.Close c) {
                    return "RabbitMQ closed the channel: " + c.getReplyText();
                }
                if (s.getCause() != null) {
                    continue;
                }
            }
            if (t.getMessage() != null) {
                return t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }

    private static ConnectionFactory connectionFactory(RabbitMqSettings settings) {
        ConnectionFactory f = new ConnectionFactory();
        // Defaults first: query parameters of the URI (connection_timeout, heartbeat, …) override them.
        f.setConnectionTimeout(CONNECT_TIMEOUT_MS);
        f.setHandshakeTimeout(CONNECT_TIMEOUT_MS);
        // RPCs (channel open, confirm.select, passive declare) wait uninterruptibly: bound them.
        f.setChannelRpcTimeout((int) Math.min(Integer.MAX_VALUE, settings.confirmTimeout().toMillis()));
        // The transport reconnects on the next batch itself: a background recovery would race with
        // the per-batch confirm tracking and replay state that belongs to the broker.
        f.setAutomaticRecoveryEnabled(false);
        f.setTopologyRecoveryEnabled(false);
        f.setExceptionHandler(new QuietExceptionHandler(settings.scrubber()));
        f.setThreadFactory(r -> {
            Thread t = new Thread(r, "outbox-rabbitmq-" + THREADS.incrementAndGet());
            t.setDaemon(true); // a forgotten close() must not keep the JVM alive
            return t;
        });
        URI uri = settings.uri();
        try {
            if (uri.getScheme().equalsIgnoreCase("amqps")) {
                // setUri("amqps://…") would enable TLS that trusts every certificate; verify instead
                // against the JVM's trust store (javax.net.ssl.trustStore) and the host name.
                f.setUri("amqp" + uri.toString().substring(uri.getScheme().length()));
                if (uri.getPort() < 0) {
                    f.setPort(ConnectionFactory.DEFAULT_AMQP_OVER_SSL_PORT);
                }
                f.useSslProtocol(SSLContext.getDefault());
                f.enableHostnameVerification();
            } else {
                f.setUri(uri);
            }
        } catch (URISyntaxException | GeneralSecurityException | RuntimeException e) {
            // No cause: the client's messages may quote parts of the URI.
            throw new OutboxException(RabbitMqSettings.URI.env() + " is not a usable AMQP URI ("
                    + e.getClass().getSimpleName() + ") (was \"" + settings.maskedUri() + "\")");
        }
        return f;
    }

    /**
     * Builds a RabbitMQ transport for embedders, with the settings and checks of the sidecar's
     * {@code OUTBOX_RABBITMQ_*} keys ({@link RabbitMqSettings#MODEL}). Each setter checks its value
     * at once and fails with an {@link OutboxException} naming the property, the rule and the
     * value (e.g. {@code rabbitmq.confirmTimeout must be between 1ms and 1h (was 2h)}; a URI is
     * shown without its user info). {@link #build()} requires the URI and creates the transport as
     * {@link RabbitMqTransportFactory#create} does: without connecting (the first batch connects).
     * <pre>Transport t = RabbitMqTransport.builder().uri("amqp://app:secret@rabbit:5672/orders")
     *         .routes("Order=orders").build();</pre>
     */
    public static final class Builder extends TransportBuilder<Builder> {
        private Builder() {
            super(RabbitMqSettings.MODEL, RabbitMqSettings.ROUTE_DEFAULT);
        }

        /** See {@link RabbitMqSettings#URI}: {@code amqp://user:password@host:5672/vhost} or {@code amqps://…}. */
        public Builder uri(String uri) {
            return set(RabbitMqSettings.URI, uri);
        }

        /** See {@link RabbitMqSettings#ROUTING_KEY}. */
        public Builder routingKey(String template) {
            return set(RabbitMqSettings.ROUTING_KEY, template);
        }

        /** See {@link RabbitMqSettings#CONFIRM_TIMEOUT}. */
        public Builder confirmTimeout(Duration timeout) {
            return set(RabbitMqSettings.CONFIRM_TIMEOUT, timeout);
        }

        /** See {@link RabbitMqSettings#DECLARE_EXCHANGE}. */
        public Builder declareExchange(boolean declare) {
            return set(RabbitMqSettings.DECLARE_EXCHANGE, declare);
        }

        /**
         * @throws OutboxException if the URI is missing, naming {@code rabbitmq.uri}, or if the
         *         client rejects it
         */
        @Override
        public Transport build() {
            return new RabbitMqTransport(RabbitMqSettings.from(values.build()));
        }
    }

    /**
     * Sends the client's own error reports (e.g. a connection driver failing when the broker goes
     * away) to DEBUG: the transport reports those conditions itself, once, through the relay.
     */
    private static final class QuietExceptionHandler extends ForgivingExceptionHandler {
        private final UnaryOperator<String> scrub;

        QuietExceptionHandler(UnaryOperator<String> scrub) {
            this.scrub = scrub;
        }

        @Override
        protected void log(String message, Throwable e) {
            LOG.log(Level.DEBUG, "rabbitmq client: " + scrub.apply(message), Redaction.copy(e, scrub));
        }
    }
}
