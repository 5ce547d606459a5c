package dev.outbox.relay.transport.http;

import dev.outbox.core.OutboxException;
import dev.outbox.core.internal.JsonFactories;
import dev.outbox.relay.spi.Acks;
import dev.outbox.relay.internal.RelayLogs;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.config.Durations;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.TransportBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.lang.System.Logger.Level;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Delivers each event as an HTTP POST (a webhook) to the URL its route names, with the JDK's
 * {@link HttpClient}; created by {@link HttpTransportFactory} or, when embedding the relay, by
 * {@link #builder()}; called by the relay.
 *
 * <p><b>On the wire</b> (CloudEvents HTTP binding, binary content mode): the body is the payload's
 * JSON bytes unchanged; {@code Content-Type: application/json}; every other attribute as a
 * {@code ce-<name>} header, percent-encoded as the binding requires; {@code traceparent} and
 * {@code tracestate} also as plain W3C headers; the event's other headers unprefixed (see
 * {@link WebhookHeaders#sendable}); configured static headers; and the Standard Webhooks headers
 * {@code webhook-id} (= event id), {@code webhook-timestamp} (send time, Unix seconds) and
 * {@code webhook-signature} ({@code v1,<base64 HMAC-SHA256>} per configured secret).
 *
 * <p><b>Acknowledged</b> means the receiver answered 2xx. The requests of a batch go out
 * concurrently (at most {@code maxConcurrency} at once) and {@link #send} waits for every
 * response, each bounded by the request timeout.
 *
 * <p><b>Failures.</b> A receiver that cannot be reached or does not answer (connection refused,
 * reset or closed without a response, connect or response timeout) is an outage
 * ({@link TransportException#outage}: not charged to the event). Answers are charged: 408, 429
 * and 5xx retryable; 410 Gone, other 4xx (413 names the body's size) and 3xx (redirects are
 * never followed) permanent. A {@code Retry-After} on a retryable answer (seconds or HTTP-date,
 * capped at {@link #MAX_RETRY_AFTER}) bars that URL: until then events for it fail retryable at
 * once, without a request. When no request of a batch got an answer, or every event of the batch
 * is barred, {@link #send} throws instead, so the relay pauses.
 */
public final class HttpTransport implements Transport {
    /** Longest {@code Retry-After} honoured; a larger one (or a date further out) is cut to this. */
    public static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);
    static final String BATCH_CONTENT_TYPE = "application/cloudevents-batch+json";
    private static final System.Logger LOG = RelayLogs.logger("dev.outbox.relay");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,10}");
    private static final int SNIPPET = 200;
    /** How much longer than the client's own timeouts a batch waits for its responses. */
    private static final Duration DEADLINE_SLACK = Duration.ofSeconds(1);
    /** The body of a 2xx is not needed; of an error, its start goes into the error message. */
    private static final HttpResponse.BodyHandler<String> BODY = info -> info.statusCode() / 100 == 2
            ? BodySubscribers.replacing("")
            : BodySubscribers.mapping(BodySubscribers.ofByteArray(), HttpTransport::snippet);

    private final WebhookSettings settings;
    private final Clock clock;
    private final ExecutorService executor;
    private final HttpClient client;
    private final Semaphore permits;
    /** URL → the instant before which no request may go there (Retry-After). */
    private final Map<String, Instant> notBefore = new ConcurrentHashMap<>();
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
    /** Event header names already reported as dropped, to warn once per name, not once per event. */
    private final Set<String> reportedDrops = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** @param clock the time for {@code webhook-timestamp} and {@code Retry-After} */
    HttpTransport(WebhookSettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        AtomicInteger threads = new AtomicInteger();
        // Our own executor, so that close() can stop the client's threads (HttpClient has no close() in Java 17).
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "outbox-webhook-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER) // a redirect is reported, never followed blindly
                .executor(executor)
                .build();
        this.permits = new Semaphore(settings.maxConcurrency());
    }

    /** A builder for embedding the relay, checking each value as the environment keys are checked. */
    public static Builder builder() {
        return new Builder();
    }

    /** One request: the batch positions of the events it carries (one, or several in batch mode), and its body's size. */
    private record Outgoing(List<Integer> positions, String destination, URI uri, HttpRequest request, int bodyBytes) {
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        if (closed) {
            throw TransportException.outage("the http transport is closed", null);
        }
        Instant now = clock.instant();
        TransportException[] failures = new TransportException[batch.size()];
        Map<String, List<Integer>> byDestination = new LinkedHashMap<>();
        int barred = 0;
        for (int i = 0; i < batch.size(); i++) {
            OutboxMessage m = batch.get(i);
            String destination;
            try {
                destination = settings.router().destination(m);
            } catch (OutboxException e) {
                failures[i] = TransportException.permanent(e.getMessage(), e);
                continue;
            }
            String problem = WebhookUrls.problem(destination);
            if (problem != null) {
                failures[i] = TransportException.permanent("the destination URL " + problem, null);
                continue;
            }
            Instant until = notBefore.get(destination);
            if (until != null && now.isBefore(until)) {
                failures[i] = TransportException.retryable("not sent: " + WebhookUrls.display(URI.create(destination))
                        + " asked with Retry-After to wait until " + until, null).withRetryAfter(Duration.between(now, until));
                barred++;
                continue;
            }
            notBefore.remove(destination, until);
            byDestination.computeIfAbsent(destination, d -> new ArrayList<>()).add(i);
        }
        if (barred == batch.size()) {
            throw TransportException.retryable("every event of the batch goes to a URL that asked to wait (Retry-After): "
                    + failures[0].getMessage(), null);
        }
        List<Outgoing> outgoing = new ArrayList<>();
        byDestination.forEach((destination, positions) -> {
            if (settings.batch()) {
                outgoing.addAll(batchRequest(batch, positions, destination, now, failures));
            } else {
                for (int i : positions) {
                    Outgoing o = eventRequest(batch.get(i), i, destination, now, failures);
                    if (o != null) {
                        outgoing.add(o);
                    }
                }
            }
        });
        deliver(batch, outgoing, failures);
        List<SendResult> results = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            UUID id = batch.get(i).id();
            results.add(failures[i] == null ? SendResult.acknowledged(id) : SendResult.failed(id, failures[i]));
        }
        return results;
    }

    /**
     * Sends every request, at most maxConcurrency at once, and records each outcome in {@code failures}.
     *
     * @throws TransportException if no request got an answer
     */
    private void deliver(List<OutboxMessage> batch, List<Outgoing> outgoing, TransportException[] failures) {
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>(outgoing.size());
        try {
            for (Outgoing o : outgoing) {
                permits.acquire();
                CompletableFuture<HttpResponse<String>> f;
                try {
                    f = client.sendAsync(o.request(), BODY);
                } catch (RuntimeException e) {
                    permits.release();
                    throw e;
                }
                inFlight.add(f);
                f.whenComplete((r, e) -> {
                    permits.release();
                    inFlight.remove(f);
                });
                futures.add(f);
            }
            // Every request has been started by now and is bounded by the client's own timeouts; the
            // deadline, a little later, only ends a wait the client would not (a response body that stalls).
            long deadline = System.nanoTime() + settings.connectTimeout().plus(settings.timeout()).plus(DEADLINE_SLACK)
                    .toNanos();
            List<Acks.Ack<HttpResponse<String>>> answers = Acks.awaitAll(futures, deadline);
            List<SendResult> sent = new ArrayList<>(batch.size());
            for (int k = 0; k < outgoing.size(); k++) {
                Outgoing o = outgoing.get(k);
                Acks.Ack<HttpResponse<String>> answer = answers.get(k);
                TransportException failure;
                if (answer.pending()) {
                    futures.get(k).cancel(true);
                    failure = TransportException.outage("no response from " + WebhookUrls.display(o.uri()) + " within "
                            + WebhookSettings.TIMEOUT.env() + "=" + Durations.format(settings.timeout()), null);
                } else if (answer.failure() instanceof CancellationException e) {
                    failure = TransportException.outage("the request to " + WebhookUrls.display(o.uri())
                            + " was cancelled (transport closing)", e);
                } else if (answer.failure() != null) {
                    failure = failure(o, unwrap(answer.failure()));
                } else {
                    failure = outcome(o, answer.value());
                }
                for (int i : o.positions()) {
                    failures[i] = failure;
                    UUID id = batch.get(i).id();
                    sent.add(failure == null ? SendResult.acknowledged(id) : SendResult.failed(id, failure));
                }
            }
            SendResult.wholeBatchFailure(sent, TransportException::outage).ifPresent(firstOutage -> {
                // No receiver answered: a whole-batch failure pauses the relay at once.
                throw TransportException.outage("no webhook endpoint of the batch answered: "
                        + firstOutage.getMessage(), firstOutage);
            });
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw TransportException.outage("interrupted while waiting for webhook responses", e);
        }
    }

    private Outgoing eventRequest(OutboxMessage m, int position, String destination, Instant now,
                                  TransportException[] failures) {
        CloudEvent event = CloudEvent.of(m, settings.source());
        List<String> dropped = new ArrayList<>();
        List<WebhookHeaders.Header> headers = WebhookHeaders.of(event, settings.headers(), dropped);
        reportDropped(m, dropped);
        byte[] body = event.dataBytes();
        URI uri = URI.create(destination);
        try {
            HttpRequest.Builder request = request(uri, event.id(), now, body);
            for (WebhookHeaders.Header h : headers) {
                request.header(h.name(), h.value());
            }
            return new Outgoing(List.of(position), destination, uri, request.build(), body.length);
        } catch (IllegalArgumentException e) {
            failures[position] = TransportException.permanent("cannot build the request to "
                    + WebhookUrls.display(uri) + ": " + Redaction.urls(e.getMessage()), null);
            return null;
        }
    }

    /**
     * One request for every event of a destination, a CloudEvents JSON batch: each element a
     * structured-mode event with {@code data} as JSON. The events share its outcome. Event headers
     * that are not CloudEvents attributes cannot travel per event and are left out.
     */
    private List<Outgoing> batchRequest(List<OutboxMessage> batch, List<Integer> positions, String destination,
                                        Instant now, TransportException[] failures) {
        List<Integer> carried = new ArrayList<>();
        List<CloudEvent> events = new ArrayList<>();
        for (int i : positions) {
            CloudEvent event = CloudEvent.of(batch.get(i), settings.source());
            if (!isJson(event.data())) {
                failures[i] = TransportException.permanent("the payload is not valid JSON", null);
            } else {
                carried.add(i);
                events.add(event);
            }
        }
        if (carried.isEmpty()) {
            return List.of();
        }
        URI uri = URI.create(destination);
        byte[] body = batchBody(events).getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder request = request(uri, batchId(events), now, body)
                .header("Content-Type", BATCH_CONTENT_TYPE);
        settings.headers().forEach(request::header);
        return List.of(new Outgoing(List.copyOf(carried), destination, uri, request.build(), body.length));
    }

    private HttpRequest.Builder request(URI uri, String id, Instant now, byte[] body) {
        long timestamp = now.getEpochSecond();
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(settings.timeout())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("webhook-id", id)
                .header("webhook-timestamp", Long.toString(timestamp));
        if (uri.getScheme().equalsIgnoreCase("http")) {
            // Plain HTTP/1.1: no h2c upgrade attempt, which some servers and proxies mishandle on POST.
            request.version(HttpClient.Version.HTTP_1_1);
        }
        if (settings.signer() != null) {
            request.header("webhook-signature", settings.signer().sign(id, timestamp, body));
        }
        return request;
    }

    /** The result of a response: {@code null} when acknowledged. Records a Retry-After. */
    private TransportException outcome(Outgoing o, HttpResponse<String> response) {
        int status = response.statusCode();
        TransportException failure = failure(status, WebhookUrls.display(o.uri()),
                response.headers().firstValue("Location").orElse(null), response.body());
        if (status == 413) {
            return TransportException.permanent(failure.getMessage() + " (Payload Too Large: the request body was "
                    + o.bodyBytes() + " bytes, more than the receiver accepts; raise its limit or make the event"
                    + " smaller)", null);
        }
        if (failure != null && failure.retryable()) {
            Instant until = retryAfter(response.headers().firstValue("Retry-After").orElse(null), clock.instant());
            if (until != null) {
                notBefore.merge(o.destination(), until, (a, b) -> a.isAfter(b) ? a : b);
                return TransportException.retryable(failure.getMessage() + "; Retry-After: no request before " + until,
                        null).withRetryAfter(Duration.between(clock.instant(), until));
            }
        }
        return failure;
    }

    /** Maps a status code to the failure it means, or {@code null} for 2xx. */
    static TransportException failure(int status, String url, String location, String body) {
        String answer = "HTTP " + status + " from " + url + (body == null || body.isEmpty() ? "" : ": " + body);
        if (status >= 200 && status < 300) {
            return null;
        }
        if (status >= 300 && status < 400) {
            return TransportException.permanent("HTTP " + status + " redirect from " + url
                    + (location == null ? "" : " to " + Redaction.urls(location)) + ": redirects are not followed;"
                    + " configure the final URL", null);
        }
        if (status == 410) {
            return TransportException.deadNow(answer + " (Gone: the receiver retired this endpoint)", null);
        }
        if (status == 408 || status == 429 || status >= 500) {
            return TransportException.retryable(answer, null);
        }
        if (status >= 400) {
            return TransportException.permanent(answer, null);
        }
        return TransportException.retryable(answer + " (unexpected status)", null);
    }

    /** When a {@code Retry-After} (seconds or HTTP-date) ends, capped at {@link #MAX_RETRY_AFTER}; null if absent or invalid. */
    static Instant retryAfter(String header, Instant now) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String value = header.strip();
        Instant until;
        if (DIGITS.matcher(value).matches()) {
            until = now.plusSeconds(Long.parseLong(value));
        } else {
            try {
                until = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            } catch (DateTimeParseException e) {
                return null; // a malformed hint is ignored; the relay's own backoff still applies
            }
        }
        Instant cap = now.plus(MAX_RETRY_AFTER);
        return until.isAfter(cap) ? cap : until;
    }

    /**
     * A request that got no answer: the receiver could not be reached, closed or reset the
     * connection, or did not answer in time. None of it refuses the event, so all are outages.
     * The client's own text is left out where it could quote the URL's query (a token).
     */
    private TransportException failure(Outgoing o, Throwable cause) {
        String url = WebhookUrls.display(o.uri());
        if (cause instanceof HttpConnectTimeoutException) {
            return TransportException.outage("cannot connect to " + url + " within "
                    + WebhookSettings.CONNECT_TIMEOUT.env() + "=" + Durations.format(settings.connectTimeout()), null);
        }
        if (cause instanceof HttpTimeoutException) {
            return TransportException.outage("no response from " + url + " within "
                    + WebhookSettings.TIMEOUT.env() + "=" + Durations.format(settings.timeout()), null);
        }
        if (cause instanceof ConnectException) {
            return TransportException.outage("cannot connect to " + url + " (" + describe(cause) + ")", null);
        }
        if (cause instanceof IOException) {
            return TransportException.outage("no answer from " + url + ": the connection failed or was closed"
                    + " before a response (" + describe(cause) + ")", null);
        }
        return TransportException.retryable("request to " + url + " failed unexpectedly ("
                + cause.getClass().getName() + ")", null);
    }

    /** The exception's class and message, or only its class when the message quotes a URL. */
    private static String describe(Throwable cause) {
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null || message.contains("://") ? "" : ": " + message);
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The start of an error response body, printable, for the event's last error. */
    static String snippet(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, SNIPPET * 4), StandardCharsets.UTF_8)
                .replaceAll("\\p{Cntrl}+", " ").strip();
        return text.length() > SNIPPET ? text.substring(0, SNIPPET) + "…" : text;
    }

    private void reportDropped(OutboxMessage m, List<String> dropped) {
        for (String name : dropped) {
            if (reportedDrops.add(name)) {
                LOG.log(Level.WARNING, "event header not sent as an HTTP header (hop-by-hop, reserved, invalid name or"
                        + " configured in " + WebhookSettings.HEADERS.env() + "); reported once per name: name={0}"
                        + " event_id={1}", name, m.id());
            }
        }
    }

    /** The JSON batch body: the payload text is embedded as is, so the data keeps its exact bytes. */
    static String batchBody(List<CloudEvent> events) {
        StringBuilder body = new StringBuilder("[");
        for (CloudEvent event : events) {
            body.append(body.length() == 1 ? "{" : ",{");
            event.attributes().forEach((name, value) -> body.append(JsonFactories.string(name)).append(':')
                    .append(JsonFactories.string(value)).append(','));
            body.append("\"data\":").append(event.data()).append('}');
        }
        return body.append(']').toString();
    }

    /**
     * The {@code webhook-id} of a batch: derived from its event ids, so that a retry of the same
     * batch has the same id (receivers deduplicate on it) and a different batch a different one.
     */
    static String batchId(List<CloudEvent> events) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (CloudEvent e : events) {
                sha.update(e.id().getBytes(StandardCharsets.US_ASCII));
                sha.update((byte) ',');
            }
            return "batch_" + Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
    }

    private static boolean isJson(String text) {
        try (JsonReader reader = JsonFactories.reader(new StringReader(text))) {
            reader.readValue();
            return true;
        } catch (JsonException e) {
            return false;
        }
    }

    /**
     * Cancels requests in flight and stops the client's threads; returns at once. Java 17's
     * HttpClient has no close(); on Java 21+ its shutdownNow() also closes pooled connections.
     */
    @Override
    public void close() {
        closed = true;
        inFlight.forEach(f -> f.cancel(true));
        executor.shutdownNow();
        try {
            HttpClient.class.getMethod("shutdownNow").invoke(client);
        } catch (ReflectiveOperationException notJava21) {
            // Java 17: idle connections close when the client is garbage-collected.
        }
    }

    /**
     * Configures an {@code http} transport in code, one setter per setting of
     * {@link HttpTransportFactory#config()} (the sidecar's {@code OUTBOX_WEBHOOK_*} keys, the routes
     * and the CloudEvents source, which document each). Each setter checks its value at once;
     * {@link #build()} checks that some URL is given (the URL, routes or a default route) and that
     * every route names an http(s) URL, then creates the transport exactly as
     * {@link HttpTransportFactory} does. Failures are {@link OutboxException}s naming the property
     * ({@code webhook.timeout}), the rule and the value: URLs with their query and user info masked,
     * signing secrets and header values never. Not thread-safe; use one builder per transport.
     *
     * <pre>{@code
     * Transport webhooks = HttpTransport.builder().url("https://hooks.example.com/events")
     *         .secrets("whsec_…").build();
     * }</pre>
     */
    public static final class Builder extends TransportBuilder<Builder> {
        private Builder() {
            super(WebhookSettings.MODEL, WebhookSettings.ROUTE_DEFAULT);
        }

        /** Where events go unless a route says otherwise: an absolute http:// or https:// URL. */
        public Builder url(String url) {
            return set(WebhookSettings.URL, url);
        }

        /** {@code whsec_<base64>} signing secrets, separated by commas or blanks; unset: not signed. */
        public Builder secrets(String secrets) {
            return set(WebhookSettings.SECRETS, secrets);
        }

        /** Static headers {@code Name: value; Name2: value2} added to every request. */
        public Builder headers(String headers) {
            return set(WebhookSettings.HEADERS, headers);
        }

        /** Longest wait for one response, 1ms to 1h; default 10s. */
        public Builder timeout(Duration timeout) {
            return set(WebhookSettings.TIMEOUT, timeout);
        }

        /** Longest wait for a connection, 1ms to 1h; default 5s. */
        public Builder connectTimeout(Duration connectTimeout) {
            return set(WebhookSettings.CONNECT_TIMEOUT, connectTimeout);
        }

        /** {@code true}: one request per URL with a CloudEvents JSON batch; default false. */
        public Builder batch(boolean batch) {
            return set(WebhookSettings.BATCH, batch);
        }

        /** Most requests in flight at once, 1 to 1024; default 32. */
        public Builder maxConcurrency(int maxConcurrency) {
            return set(WebhookSettings.MAX_CONCURRENCY, maxConcurrency);
        }

        /**
         * The transport; it connects on its first batch.
         *
         * @throws OutboxException if no URL is given or a route is not an http(s) URL
         */
        @Override
        public Transport build() {
            return new HttpTransport(WebhookSettings.from(values.build()), Clock.systemUTC());
        }
    }
}
