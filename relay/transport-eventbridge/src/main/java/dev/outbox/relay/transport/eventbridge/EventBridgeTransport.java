package dev.outbox.relay.transport.eventbridge;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.transport.TransportBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClientBuilder;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

/**
 * The {@code eventbridge} transport: every event as one entry of an Amazon EventBridge
 * {@code PutEvents} request, on the bus its route names ({@link EventBridgeEntries} is the wire
 * format). Created by {@link EventBridgeTransportFactory} or {@link #builder()}; used by one relay
 * thread at a time.
 *
 * <p><b>Acknowledged</b> means EventBridge accepted the entry: its result entry has an
 * {@code EventId} and no {@code ErrorCode}. Delivery to the rules' targets is EventBridge's part
 * (at least once), so consumers deduplicate on {@code detail.id}, the event id.
 *
 * <p><b>Requests.</b> Entries are grouped by bus (a request refused as a whole then concerns one
 * bus only) into requests of at most {@value EventBridgeEntries#MAX_ENTRIES_PER_REQUEST} entries
 * whose total size is below {@link EventBridgeEntries#MAX_REQUEST_BYTES}, sent one after the
 * other. The relay puts at most one event per key in a batch and sends a key's next event only
 * after this one was acknowledged, so a key's events reach EventBridge in write order
 * (EventBridge itself promises no order to targets).
 *
 * <p><b>Failures.</b>
 * <ul>
 *   <li>No answer (endpoint unreachable, connection refused or reset, no answer within
 *       {@code OUTBOX_EVENTBRIDGE_TIMEOUT}), credentials missing or refused
 *       ({@code UnrecognizedClientException}, {@code InvalidSignatureException}, …) → an outage:
 *       the events of that request and of the requests not sent yet fail as outages (not
 *       charged); when nothing of the batch was accepted, the whole batch is thrown. The SDK does
 *       not retry: the relay's backoff does.</li>
 *   <li>An entry whose size alone reaches {@link EventBridgeEntries#MAX_REQUEST_BYTES} → that
 *       event fails, not retryable, naming its size and the limit, before anything is sent.</li>
 *   <li>A failed result entry (a partly failed response, {@code FailedEntryCount > 0}):
 *       {@code ThrottlingException}, {@code InternalFailure} (and {@code InternalException},
 *       {@code ServiceUnavailable}) → that event fails retryable; any other code
 *       ({@code MalformedDetail}, {@code InvalidArgument}, {@code ValidationException},
 *       {@code NotAuthorizedForSourceException}, {@code AccessDeniedException},
 *       {@code ResourceNotFoundException}, …) → not retryable, naming the code and message.</li>
 *   <li>A request refused as a whole: throttled or a 5xx → its events fail retryable; any other
 *       4xx (no such bus, validation, access denied) → with one entry, that event fails not
 *       retryable; with several, each entry is sent again alone, so that only the culprit is
 *       charged (a refused request accepted none of its entries).</li>
 *   <li>When no event of the batch was accepted and every failure was an outage or retryable
 *       (the service is throttling or failing as a whole), the batch is thrown: an outage, which
 *       charges nothing.</li>
 *   <li>No route for the event → that event fails, not retryable.</li>
 * </ul>
 * No secret is held (credentials stay in the SDK's chain); messages show the endpoint without
 * user info or query.
 */
public final class EventBridgeTransport implements Transport {
    /** Result codes worth trying again later: the service, not the entry. */
    static final Set<String> RETRYABLE_CODES = Set.of("ThrottlingException", "InternalFailure", "InternalException",
            "ServiceUnavailable", "ServiceUnavailableException");
    /** Request error codes that say the credentials were refused: nothing to do with the events. */
    static final Set<String> CREDENTIAL_CODES = Set.of("UnrecognizedClientException", "InvalidSignatureException",
            "IncompleteSignature", "MissingAuthenticationToken", "InvalidClientTokenId", "ExpiredTokenException",
            "ExpiredToken", "SignatureDoesNotMatch");

    private final EventBridgeSettings settings;
    private final EventBridgeClient client;

    private EventBridgeTransport(EventBridgeSettings settings, EventBridgeClient client) {
        this.settings = settings;
        this.client = client;
    }

    /**
     * Creates the transport from validated values of {@code EventBridgeSettings.MODEL}; sends
     * nothing, and credentials are looked up on the first batch.
     *
     * @throws OutboxException if no region is set and the SDK's chain finds none
     */
    static EventBridgeTransport create(ConfigValues values) {
        EventBridgeSettings settings = EventBridgeSettings.from(values);
        return new EventBridgeTransport(settings, client(settings));
    }

    /** A builder for embedding the relay, checking each value as the environment keys are checked. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        SendResult[] results = new SendResult[batch.size()];
        List<Integer> handedOver = new ArrayList<>(batch.size());
        Map<String, List<Entry>> byBus = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            OutboxMessage m = batch.get(i);
            String bus;
            try {
                bus = settings.router().destination(m);
            } catch (OutboxException e) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent(e.getMessage(), e));
                continue;
            }
            PutEventsRequestEntry entry = EventBridgeEntries.of(m, settings.source(), bus);
            int size = EventBridgeEntries.size(entry);
            if (size >= EventBridgeEntries.MAX_REQUEST_BYTES) {
                results[i] = SendResult.failed(m.id(), TransportException.permanent("the EventBridge entry for bus "
                        + bus + " is " + size + " bytes (Source + DetailType + Detail + Time as AWS counts them),"
                        + " not below PutEvents' limit of " + EventBridgeEntries.MAX_REQUEST_BYTES
                        + " bytes: make the event smaller (or send a reference to it)", null));
                continue;
            }
            handedOver.add(i);
            byBus.computeIfAbsent(bus, b -> new ArrayList<>()).add(new Entry(i, entry, size));
        }

        Outage outage = new Outage();
        for (Map.Entry<String, List<Entry>> bus : byBus.entrySet()) {
            for (List<Entry> request : requests(bus.getValue())) {
                put(bus.getKey(), request, batch, results, outage);
            }
        }

        List<SendResult> sent = handedOver.stream().map(i -> results[i]).toList();
        SendResult.wholeBatchFailure(sent, TransportException::retryable).ifPresent(failure -> {
            throw TransportException.outage(settings.address() + " accepted none of the " + sent.size()
                    + " events of the batch: " + failure.getMessage(), failure);
        });
        return Arrays.asList(results);
    }

    /** Splits one bus' entries into requests within the count and size limits, in order. */
    private static List<List<Entry>> requests(List<Entry> entries) {
        List<List<Entry>> requests = new ArrayList<>();
        List<Entry> current = new ArrayList<>();
        long bytes = 0;
        for (Entry e : entries) {
            if (current.size() == EventBridgeEntries.MAX_ENTRIES_PER_REQUEST
                    || bytes + e.size() >= EventBridgeEntries.MAX_REQUEST_BYTES) {
                requests.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(e);
            bytes += e.size();
        }
        if (!current.isEmpty()) {
            requests.add(current);
        }
        return requests;
    }

    /** Sends one request and fills in the results of its entries. */
    private void put(String bus, List<Entry> request, List<OutboxMessage> batch, SendResult[] results, Outage outage) {
        if (outage.cause != null) {
            // The endpoint did not answer the previous request: do not wait for it again.
            fail(request, batch, results, TransportException.outage(outage.cause.getMessage(), outage.cause));
            return;
        }
        PutEventsResponse response;
        try {
            response = client.putEvents(PutEventsRequest.builder()
                    .entries(request.stream().map(Entry::entry).toList()).build());
        } catch (AwsServiceException e) {
            refusedRequest(bus, request, batch, results, outage, e);
            return;
        } catch (SdkException e) {
            // No answer: unreachable, reset, timed out, interrupted, or no credentials to sign with.
            outage.cause = TransportException.outage("PutEvents for bus " + bus + " got no answer from "
                    + settings.address() + ": " + Redaction.urls(e.getMessage()), Redaction.copy(e, Redaction::urls));
            fail(request, batch, results, outage.cause);
            return;
        }
        List<PutEventsResultEntry> answers = response.entries();
        if (answers.size() != request.size()) {
            fail(request, batch, results, TransportException.outage(settings.address() + " answered PutEvents for bus "
                    + bus + " with " + answers.size() + " result entries for " + request.size() + " entries", null));
            return;
        }
        for (int j = 0; j < request.size(); j++) {
            PutEventsResultEntry answer = answers.get(j);
            int i = request.get(j).index();
            OutboxMessage m = batch.get(i);
            if (answer.errorCode() == null && answer.eventId() != null) {
                results[i] = SendResult.acknowledged(m.id());
            } else {
                String code = answer.errorCode() == null ? "no EventId" : answer.errorCode();
                results[i] = SendResult.failed(m.id(), new TransportException("EventBridge refused the entry for bus "
                        + bus + ": " + code + ": " + answer.errorMessage(), RETRYABLE_CODES.contains(code)));
            }
        }
    }

    /** An error answer to the whole request: see the class comment. */
    private void refusedRequest(String bus, List<Entry> request, List<OutboxMessage> batch, SendResult[] results,
                                Outage outage, AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        String message = "EventBridge refused PutEvents for bus " + bus + " (HTTP " + e.statusCode()
                + (code == null ? "" : ", " + code) + "): " + Redaction.urls(errorMessage(e));
        Throwable cause = Redaction.copy(e, Redaction::urls);
        if (code != null && CREDENTIAL_CODES.contains(code)) {
            outage.cause = TransportException.outage(message + " (check the credentials of the SDK's chain)", cause);
            fail(request, batch, results, outage.cause);
        } else if (e.isThrottlingException() || e.statusCode() >= 500 || code != null && RETRYABLE_CODES.contains(code)) {
            fail(request, batch, results, TransportException.retryable(message, cause));
        } else if (request.size() == 1) {
            fail(request, batch, results, TransportException.permanent(message, cause));
        } else {
            for (Entry alone : request) {
                put(bus, List.of(alone), batch, results, outage);
            }
        }
    }

    private static String errorMessage(AwsServiceException e) {
        return e.awsErrorDetails() != null && e.awsErrorDetails().errorMessage() != null
                ? e.awsErrorDetails().errorMessage() : e.getMessage();
    }

    private static void fail(List<Entry> request, List<OutboxMessage> batch, SendResult[] results,
                             TransportException failure) {
        for (Entry e : request) {
            results[e.index()] = SendResult.failed(batch.get(e.index()).id(), failure);
        }
    }

    /** Closes the client and its connections; sends nothing. */
    @Override
    public void close() {
        client.close();
    }

    private static EventBridgeClient client(EventBridgeSettings s) {
        Duration timeout = s.timeout();
        EventBridgeClientBuilder builder = EventBridgeClient.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(timeout).socketTimeout(timeout))
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        // The relay retries with backoff and tells outages from refusals: the SDK must not wait.
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(timeout)
                        .build());
        if (s.region() != null) {
            builder.region(Region.of(s.region()));
        }
        if (s.endpoint() != null) {
            builder.endpointOverride(s.endpoint());
        }
        try {
            return builder.build();
        } catch (SdkException e) {
            // Most likely no region: none set here and none in the SDK's chain.
            throw new OutboxException(EventBridgeSettings.REGION.env() + " (" + EventBridgeSettings.REGION.property()
                    + ") is not set and the AWS SDK could not set up the client: " + e.getMessage(), e);
        }
    }

    /** One event's entry and where its result goes. */
    private record Entry(int index, PutEventsRequestEntry entry, int size) {
    }

    /** Set once a request got no answer: the rest of the batch is not sent. */
    private static final class Outage {
        TransportException cause;
    }

    /**
     * Configures an {@code eventbridge} transport in code, one setter per setting of
     * {@link EventBridgeTransportFactory#config()} (the sidecar's {@code OUTBOX_EVENTBRIDGE_*} keys,
     * which document each). Each setter checks its value at once; {@link #build()} creates the
     * transport exactly as {@link EventBridgeTransportFactory} does, without sending anything.
     * Failures are {@link OutboxException}s naming the property ({@code eventbridge.timeout}), the
     * rule and the value. Credentials come from the AWS SDK's default chain. Not thread-safe; use
     * one builder per transport.
     *
     * <pre>{@code
     * Transport eventBridge = EventBridgeTransport.builder().region("eu-central-1")
     *         .routes("Order=orders-bus").build();
     * }</pre>
     */
    public static final class Builder extends TransportBuilder<Builder> {
        private Builder() {
            super(EventBridgeSettings.MODEL, EventBridgeSettings.ROUTE_DEFAULT);
        }

        /** An endpoint override, {@code http(s)://host[:port]} (an emulator, a VPC endpoint); default: the region's. */
        public Builder endpoint(String endpoint) {
            return set(EventBridgeSettings.ENDPOINT, endpoint);
        }

        /** The AWS region, such as {@code eu-central-1}; default: the SDK's region chain. */
        public Builder region(String region) {
            return set(EventBridgeSettings.REGION, region);
        }

        /** Bound of one PutEvents call, 1ms to 10m; default 10s. */
        public Builder timeout(Duration timeout) {
            return set(EventBridgeSettings.TIMEOUT, timeout);
        }

        /**
         * The transport; it sends on its first batch.
         *
         * @throws OutboxException if no region is set and the SDK's chain finds none
         */
        @Override
        public Transport build() {
            return create(values.build());
        }
    }
}
