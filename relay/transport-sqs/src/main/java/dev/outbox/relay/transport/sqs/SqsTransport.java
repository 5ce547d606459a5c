package dev.outbox.relay.transport.sqs;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.spi.Acks;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.TransportBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResultEntry;

/**
 * Sends every event as one Amazon SQS message, batched with {@code SendMessageBatch} (wire format
 * in {@link SqsMessages}). Created by {@link SqsTransportFactory} ({@code OUTBOX_TRANSPORT=sqs})
 * or, when embedding the relay, by {@link #builder()}; called by the relay, one thread at a time.
 *
 * <p><b>Queues.</b> The route ({@code OUTBOX_ROUTES}, default {@code ${aggregatetype}}) names the
 * queue: a queue URL ({@code https://sqs.eu-central-1.amazonaws.com/123456789012/orders},
 * {@code http://127.0.0.1:5000/000000000000/orders}) is used as it is; a queue name is resolved
 * with {@code GetQueueUrl} once and cached. A queue whose name (the URL's last segment) ends in
 * {@code .fifo} is a FIFO queue: each message carries {@code MessageGroupId} = the event's key
 * ({@link SqsMessages#groupId}) and {@code MessageDeduplicationId} = the event id. The transport
 * creates no queues.
 *
 * <p><b>Acknowledged</b> means SQS listed the message as successful in its
 * {@code SendMessageBatch} answer: SQS stored it redundantly before answering.
 *
 * <p><b>Order.</b> The relay hands over at most one event per key per call and the next event of
 * a key only after the previous one was acknowledged, so events of a key are sent in write order.
 * A FIFO queue delivers them in that order (one group per key); a standard queue keeps order only
 * at best effort and may deliver a message more than once: use FIFO queues when consumers need
 * per-key order.
 *
 * <p><b>Batching.</b> Events are packed per queue, in batch order, into requests of at most
 * {@value #MAX_ENTRIES} entries and {@value #MAX_REQUEST_BYTES} bytes; the requests of a call run
 * concurrently (at most {@value #MAX_CONCURRENT_REQUESTS} at a time).
 *
 * <p><b>Failures.</b>
 * <ul>
 *   <li>SQS cannot be reached or does not answer within {@code OUTBOX_SQS_TIMEOUT} (connection
 *       refused or reset, timeout), no credentials, or SQS refuses the relay's credentials or
 *       permissions (HTTP 401/403, {@code InvalidClientTokenId}, {@code AccessDenied}…) → an outage:
 *       the whole batch is thrown when nothing was acknowledged, otherwise those events fail with
 *       {@link TransportException#outage}; nothing is charged. SDK retries are off: the relay's
 *       backoff retries.</li>
 *   <li>An entry failed with {@code SenderFault=false}, throttling ({@code RequestThrottled},
 *       {@code ThrottlingException}, {@code KmsThrottled}…) or a 5xx answer → that event fails,
 *       retryable; when every event handed to SQS failed so, the whole batch is thrown instead
 *       (SQS is not taking messages: an outage).</li>
 *   <li>An entry refused for itself (invalid attributes or characters, too large, other
 *       {@code SenderFault=true} codes) → that event fails, not retryable. When SQS refuses a
 *       request of several entries as a whole (such as {@code InvalidMessageContents}), its entries
 *       are sent again one per request, so that only the offending event is charged.</li>
 *   <li>An event larger than {@value #MAX_REQUEST_BYTES} bytes ({@link SqsMessages#size}) → fails,
 *       not retryable, before anything is sent.</li>
 *   <li>The queue does not exist ({@code QueueDoesNotExist}, when resolving its name or sending)
 *       or no route → those events fail, not retryable.</li>
 * </ul>
 * SDK messages go through {@link Redaction} (URL user info and queries) before they reach a
 * message or a cause; no credential is ever part of the configuration.
 */
public final class SqsTransport implements Transport {
    /** SQS's limit of entries per {@code SendMessageBatch} request (AWS and moto 5.2: 10). */
    public static final int MAX_ENTRIES = 10;
    /**
     * The bytes of one {@code SendMessageBatch} request (and so of one message), counted as SQS
     * counts them (body plus attribute names, types and values, {@link SqsMessages#size}): 256 KiB.
     * Measured limits: AWS documented 256 KiB (262,144 bytes) per message and per batch request
     * until August 2025 and raised both to 1 MiB (1,048,576 bytes) then, but a queue's
     * {@code MaximumMessageSize} attribute (256 KiB for many queues created before) can lower it;
     * moto 5.2 takes 1 MiB of bodies per request and per message. 256 KiB is what every SQS queue
     * takes, so a request of this size is never refused as too long.
     */
    public static final int MAX_REQUEST_BYTES = 262_144;
    /** Requests of one call in flight at a time. */
    static final int MAX_CONCURRENT_REQUESTS = 8;
    /** A little more than the SDK's own call timeout, so that the SDK reports a timeout first. */
    private static final Duration DEADLINE_SLACK = Duration.ofSeconds(2);
    /** Error codes of a passing condition of SQS, retryable. */
    private static final Set<String> PASSING_CODES = Set.of("RequestThrottled", "ThrottlingException", "Throttling",
            "KmsThrottled", "KMS.ThrottlingException", "ServiceUnavailable", "InternalError", "InternalFailure",
            "RequestTimeout", "KmsUnavailable");
    /** Error codes that refuse the relay (its credentials or permissions), not an event: an outage. */
    private static final Set<String> REFUSING_CODES = Set.of("InvalidClientTokenId", "UnrecognizedClientException",
            "SignatureDoesNotMatch", "AccessDenied", "AccessDeniedException", "ExpiredToken", "ExpiredTokenException",
            "InvalidSecurity", "IncompleteSignature", "MissingAuthenticationToken", "AuthFailure",
            "KmsAccessDenied", "KMS.AccessDeniedException");

    private final SqsSettings settings;
    private final SqsClient client;
    private final ThreadPoolExecutor requests;
    private final UnaryOperator<String> scrub = Redaction.scrubber(List.of());
    /** Queue name → queue URL, from GetQueueUrl. */
    private final Map<String, String> queueUrls = new ConcurrentHashMap<>();

    private SqsTransport(SqsSettings settings) {
        this.settings = settings;
        this.client = client(settings);
        AtomicInteger threads = new AtomicInteger();
        this.requests = new ThreadPoolExecutor(MAX_CONCURRENT_REQUESTS, MAX_CONCURRENT_REQUESTS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "outbox-sqs-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.requests.allowCoreThreadTimeOut(true);
    }

    /**
     * Creates the transport from validated values of {@code SqsSettings.MODEL}; connects lazily,
     * so SQS being unreachable at start-up only delays the first batch.
     *
     * @throws OutboxException if no region is set and the SDK's chain finds none
     */
    static SqsTransport create(ConfigValues values) {
        return new SqsTransport(SqsSettings.from(values));
    }

    /** A builder for embedding the relay, checking each value as the environment keys are checked. */
    public static Builder builder() {
        return new Builder();
    }

    /** One event on its way: where it goes and what SQS gets. */
    private record Outgoing(int index, OutboxMessage message, String queue, Map<String, String> attributes,
                            long size) {
    }

    /** One {@code SendMessageBatch} request. */
    private record Request(String queueUrl, boolean fifo, List<Outgoing> entries) {
    }

    /** Per-entry results of a request, or {@code split}: SQS refused the request as a whole, send its entries alone. */
    private record Outcome(SendResult[] results, boolean split) {
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        SendResult[] results = new SendResult[batch.size()];
        Map<String, List<Outgoing>> byQueue = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            OutboxMessage m = batch.get(i);
            String queue;
            try {
                queue = settings.router().destination(m);
            } catch (OutboxException e) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent(e.getMessage(), e));
                continue;
            }
            Map<String, String> attributes = SqsMessages.attributes(CloudEvent.of(m, settings.source()));
            long size = SqsMessages.size(m.payload(), attributes);
            if (size > MAX_REQUEST_BYTES) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent("the SQS message of the event is "
                        + size + " bytes (body and attributes), more than the " + MAX_REQUEST_BYTES
                        + " bytes every SQS queue takes", null));
                continue;
            }
            byQueue.computeIfAbsent(queue, q -> new ArrayList<>()).add(new Outgoing(i, m, queue, attributes, size));
        }
        List<Integer> handed = new ArrayList<>();
        List<Request> round = new ArrayList<>();
        for (Map.Entry<String, List<Outgoing>> e : byQueue.entrySet()) {
            e.getValue().forEach(o -> handed.add(o.index()));
            String url;
            try {
                url = queueUrl(e.getKey());
            } catch (RuntimeException failure) {
                TransportException why = classify("cannot find SQS queue " + shown(e.getKey()), failure);
                e.getValue().forEach(o -> results[o.index()] = SendResult.failed(o.message().id(), why));
                continue;
            }
            round.addAll(pack(url, e.getValue()));
        }
        for (int attempt = 0; attempt < 2 && !round.isEmpty(); attempt++) {
            round = sendConcurrently(round, results);
        }
        List<SendResult> toSqs = handed.stream().map(i -> results[i]).toList();
        SendResult.wholeBatchFailure(toSqs, TransportException::retryable).ifPresent(first -> {
            throw TransportException.outage("no event of the batch was taken by " + settings.address() + ": "
                    + first.getMessage(), first);
        });
        return Arrays.asList(results);
    }

    /** Sends the requests concurrently, writes their results; returns the single-entry requests of refused ones. */
    private List<Request> sendConcurrently(List<Request> round, SendResult[] results) {
        List<Future<Outcome>> futures = new ArrayList<>(round.size());
        for (Request r : round) {
            futures.add(requests.submit(() -> sendRequest(r)));
        }
        List<Acks.Ack<Outcome>> outcomes;
        try {
            outcomes = Acks.awaitAll(futures, System.nanoTime() + settings.timeout().plus(DEADLINE_SLACK).toNanos());
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw TransportException.outage("interrupted while waiting for " + settings.address(), e);
        }
        List<Request> next = new ArrayList<>();
        for (int k = 0; k < round.size(); k++) {
            Request r = round.get(k);
            Acks.Ack<Outcome> ack = outcomes.get(k);
            if (ack.pending() || ack.failure() != null) {
                TransportException why = TransportException.outage(settings.address() + " did not answer "
                        + "SendMessageBatch to " + shown(r.queueUrl()) + " in time", ack.failure());
                r.entries().forEach(o -> results[o.index()] = SendResult.failed(o.message().id(), why));
            } else if (ack.value().split()) {
                r.entries().forEach(o -> next.add(new Request(r.queueUrl(), r.fifo(), List.of(o))));
            } else {
                SendResult[] answers = ack.value().results();
                for (int j = 0; j < answers.length; j++) {
                    results[r.entries().get(j).index()] = answers[j];
                }
            }
        }
        return next;
    }

    /** One {@code SendMessageBatch}; entry ids are the positions in the request. */
    private Outcome sendRequest(Request r) {
        List<SendMessageBatchRequestEntry> entries = new ArrayList<>(r.entries().size());
        for (int j = 0; j < r.entries().size(); j++) {
            Outgoing o = r.entries().get(j);
            Map<String, MessageAttributeValue> attributes = new LinkedHashMap<>();
            o.attributes().forEach((name, value) -> attributes.put(name,
                    MessageAttributeValue.builder().dataType(SqsMessages.STRING).stringValue(value).build()));
            SendMessageBatchRequestEntry.Builder entry = SendMessageBatchRequestEntry.builder().id(Integer.toString(j))
                    .messageBody(o.message().payload()).messageAttributes(attributes);
            if (r.fifo()) {
                entry.messageGroupId(SqsMessages.groupId(o.message())).messageDeduplicationId(o.message().id().toString());
            }
            entries.add(entry.build());
        }
        SendResult[] results = new SendResult[entries.size()];
        SendMessageBatchResponse response;
        try {
            response = client.sendMessageBatch(b -> b.queueUrl(r.queueUrl()).entries(entries));
        } catch (RuntimeException e) {
            if (e instanceof QueueDoesNotExistException || isNonExistentQueue(e)) {
                queueUrls.values().remove(r.queueUrl()); // resolved anew next time: it may be created again
            }
            TransportException why = classify("SQS refused SendMessageBatch to " + shown(r.queueUrl()), e);
            if (!why.retryable() && !why.outage() && entries.size() > 1 && !isNonExistentQueue(e)) {
                return new Outcome(null, true);
            }
            for (int j = 0; j < results.length; j++) {
                results[j] = SendResult.failed(r.entries().get(j).message().id(), why);
            }
            return new Outcome(results, false);
        }
        for (SendMessageBatchResultEntry ok : response.successful()) {
            int j = Integer.parseInt(ok.id());
            results[j] = SendResult.acknowledged(r.entries().get(j).message().id());
        }
        for (BatchResultErrorEntry failed : response.failed()) {
            int j = Integer.parseInt(failed.id());
            boolean retryable = !Boolean.TRUE.equals(failed.senderFault()) || PASSING_CODES.contains(failed.code());
            results[j] = SendResult.failed(r.entries().get(j).message().id(), new TransportException("SQS refused the "
                    + "message to " + shown(r.queueUrl()) + ": " + failed.code() + ": " + scrub.apply(failed.message())
                    + (Boolean.TRUE.equals(failed.senderFault()) ? "" : " (not the sender's fault)"), retryable));
        }
        for (int j = 0; j < results.length; j++) {
            if (results[j] == null) { // SQS answered without this entry: nothing says it is stored
                results[j] = SendResult.failed(r.entries().get(j).message().id(), TransportException.retryable(
                        "SQS did not answer for the message to " + shown(r.queueUrl()), null));
            }
        }
        return new Outcome(results, false);
    }

    /** Packs one queue's events, in order, into requests of at most {@link #MAX_ENTRIES} and {@link #MAX_REQUEST_BYTES}. */
    private static List<Request> pack(String queueUrl, List<Outgoing> events) {
        boolean fifo = queueUrl.endsWith(".fifo");
        List<Request> packed = new ArrayList<>();
        List<Outgoing> current = new ArrayList<>();
        long bytes = 0;
        for (Outgoing o : events) {
            if (!current.isEmpty() && (current.size() == MAX_ENTRIES || bytes + o.size() > MAX_REQUEST_BYTES)) {
                packed.add(new Request(queueUrl, fifo, current));
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(o);
            bytes += o.size();
        }
        if (!current.isEmpty()) {
            packed.add(new Request(queueUrl, fifo, current));
        }
        return packed;
    }

    /** The URL of a destination: itself when it is a URL, else asked once with GetQueueUrl. */
    private String queueUrl(String destination) {
        if (destination.startsWith("https://") || destination.startsWith("http://")) {
            return destination;
        }
        String known = queueUrls.get(destination);
        if (known == null) {
            known = client.getQueueUrl(b -> b.queueName(destination)).queueUrl();
            queueUrls.put(destination, known);
        }
        return known;
    }

    /** What a client exception means for the events it concerns. */
    private TransportException classify(String what, RuntimeException e) {
        Throwable cause = Redaction.copy(e, scrub);
        if (e instanceof AwsServiceException s) {
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            String message = what + ": " + code + ": " + scrub.apply(s.awsErrorDetails() == null ? s.getMessage()
                    : s.awsErrorDetails().errorMessage()) + " (HTTP " + s.statusCode() + ")";
            if (isNonExistentQueue(e)) {
                return TransportException.permanent(what + ": the queue does not exist", cause);
            }
            if (s.statusCode() == 401 || s.statusCode() == 403 || REFUSING_CODES.contains(code)) {
                return TransportException.outage(message + "; SQS refuses the relay's credentials or permissions",
                        cause);
            }
            if (s.isThrottlingException() || s.statusCode() >= 500 || PASSING_CODES.contains(code)) {
                return TransportException.retryable(message, cause);
            }
            return TransportException.permanent(message, cause);
        }
        if (e instanceof SdkException) { // no answer: unreachable, timed out, no credentials
            return TransportException.outage(what + ": " + settings.address() + " is unreachable or did not answer: "
                    + scrub.apply(e.getMessage()), cause);
        }
        return TransportException.outage(what + ": " + scrub.apply(String.valueOf(e.getMessage())), cause);
    }

    private static boolean isNonExistentQueue(RuntimeException e) {
        if (e instanceof QueueDoesNotExistException) {
            return true;
        }
        if (e instanceof AwsServiceException s && s.awsErrorDetails() != null) {
            String code = s.awsErrorDetails().errorCode();
            return "AWS.SimpleQueueService.NonExistentQueue".equals(code) || "QueueDoesNotExist".equals(code);
        }
        return false;
    }

    private static String shown(String queue) {
        return Redaction.url(queue);
    }

    /** Stops the request threads and closes the SDK client; returns promptly. */
    /** OpenTelemetry's {@code messaging.system} value for this broker. */
    @Override
    public String system() {
        return "aws_sqs";
    }

    /** The queue the event's route names; {@code null} when none does. */
    @Override
    public String destination(OutboxMessage message) {
        return settings.router().destinationIfRoutable(message);
    }

    @Override
    public void close() {
        requests.shutdownNow();
        client.close();
    }

    private static SqsClient client(SqsSettings s) {
        SqsClientBuilder builder = SqsClient.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(s.timeout())
                        .socketTimeout(s.timeout()))
                // The relay retries with its own backoff and charges nothing for an outage.
                .overrideConfiguration(c -> c.apiCallTimeout(s.timeout()).retryStrategy(AwsRetryStrategy.doNotRetry()));
        if (s.region() != null) {
            builder.region(Region.of(s.region()));
        }
        if (s.endpoint() != null) {
            builder.endpointOverride(s.endpoint());
        }
        try {
            return builder.build();
        } catch (SdkException e) {
            throw new OutboxException("cannot set up the SQS client: " + Redaction.urls(e.getMessage())
                    + (s.region() == null ? " (set " + SqsSettings.REGION_SETTING.env() + " or AWS_REGION)" : ""),
                    Redaction.copy(e, Redaction.scrubber(List.of())));
        }
    }

    @Override
    public String toString() {
        return "SqsTransport[" + settings.address() + ", timeout=" + settings.timeout() + "]";
    }

    /**
     * Configures an {@code sqs} transport in code, one setter per setting of
     * {@link SqsTransportFactory#config()} (the sidecar's {@code OUTBOX_SQS_*} keys, which document
     * each). Each setter checks its value at once; {@link #build()} creates the transport exactly as
     * {@link SqsTransportFactory} does, without connecting. Credentials come from the AWS SDK's
     * default chain. Failures are {@link OutboxException}s naming the property
     * ({@code sqs.timeout}), the rule and the value. Not thread-safe; use one builder per transport.
     *
     * <pre>{@code
     * Transport sqs = SqsTransport.builder().region("eu-central-1").routes("Order=orders.fifo").build();
     * }</pre>
     */
    public static final class Builder extends TransportBuilder<Builder> {
        private Builder() {
            super(SqsSettings.MODEL, SqsSettings.ROUTE_DEFAULT);
        }

        /** Endpoint override ({@code http://127.0.0.1:5000} for moto, a VPC endpoint); default AWS's. */
        public Builder endpoint(String endpoint) {
            return set(SqsSettings.ENDPOINT, endpoint);
        }

        /** AWS region such as {@code eu-central-1}; default the SDK's chain ({@code AWS_REGION}…). */
        public Builder region(String region) {
            return set(SqsSettings.REGION_SETTING, region);
        }

        /** Bound of one API call, 100ms to 10m; default 10s. */
        public Builder timeout(Duration timeout) {
            return set(SqsSettings.TIMEOUT, timeout);
        }

        /**
         * The transport; it connects on its first batch.
         *
         * @throws OutboxException if no region is set and the SDK's chain finds none
         */
        @Override
        public Transport build() {
            return create(values.build());
        }
    }
}
