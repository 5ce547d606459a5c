package dev.outbox.bench.cloud;

import dev.outbox.bench.EventSpec;
import dev.outbox.bench.Target;
import dev.outbox.bench.Machine;
import dev.outbox.bench.Measurement;
import dev.outbox.bench.KeyPipeline;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.sqs.SqsMessages;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * SQS on moto, a standard or a FIFO queue. By hand: the same {@link SqsClient} set-up as the
 * transport's (URL-connection HTTP client, no SDK retries, the same timeout {@link #TIMEOUT}), the same message
 * (body, the transport's own attribute mapping {@link SqsMessages}, group and deduplication ids on
 * FIFO), {@code SendMessageBatch} of 10 entries, 8 requests at once (the transport's
 * {@code MAX_CONCURRENT_REQUESTS}), and a key's next event only after its previous one was stored
 * ({@link KeyPipeline}): the relay's promise, without its waves.
 */
final class SqsTarget implements Target {
    private static final int ENTRIES = 10;
    private static final int CONCURRENCY = 8;
    /**
     * Both sides' bound of one request, named to the relay as {@code OUTBOX_SQS_TIMEOUT} (default
     * 10 s, below the relay's 30 s send timeout): moto serves one request at a time and takes
     * 0.1 s (standard) to 0.35 s (FIFO) for a batch of 10 on an idle machine, so 8 requests in
     * flight on a loaded one exceed 10 s, and a relay that gives up on them sends them again while
     * moto is still busy with them.
     */
    static final Duration TIMEOUT = Duration.ofSeconds(25);

    private final String endpoint;
    private final boolean fifo;
    private final EventSpec events;
    private final SqsClient admin;

    SqsTarget(String endpoint, boolean fifo, EventSpec events) {
        this.endpoint = endpoint;
        this.fifo = fifo;
        this.events = events;
        this.admin = client();
    }

    private SqsClient client() {
        return SqsClient.builder().endpointOverride(URI.create(endpoint)).region(Region.of(Aws.REGION))
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(TIMEOUT).socketTimeout(TIMEOUT))
                .overrideConfiguration(c -> c.apiCallTimeout(TIMEOUT).retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    @Override
    public String label() {
        return fifo ? "sqs, FIFO queue" : "sqs, standard queue";
    }

    @Override
    public String transport() {
        return "sqs";
    }

    @Override
    public EventSpec events() {
        return events;
    }

    @Override
    public String destination(String plain) {
        return fifo ? plain + ".fifo" : plain;
    }

    @Override
    public void create(String queue) {
        Map<QueueAttributeName, String> attributes = fifo ? Map.of(QueueAttributeName.FIFO_QUEUE, "true") : Map.of();
        admin.createQueue(b -> b.queueName(queue).attributes(attributes));
    }

    @Override
    public void delete(String queue) {
        try {
            String url = admin.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            admin.deleteQueue(b -> b.queueUrl(url));
        } catch (SdkException gone) {
            // never created, or already deleted
        }
    }

    @Override
    public Map<String, String> transportEnv(String queue) {
        return Map.of("OUTBOX_SQS_ENDPOINT", endpoint, "OUTBOX_SQS_REGION", Aws.REGION, "OUTBOX_SQS_TIMEOUT",
                TIMEOUT.toSeconds() + "s", "OUTBOX_ROUTE_DEFAULT", queue);
    }

    @Override
    public Measurement byHand(String queue, List<OutboxMessage> messages) throws Exception {
        AtomicInteger retries = new AtomicInteger();
        try (SqsClient client = client()) {
            long start = System.nanoTime();
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl(); // the transport resolves it too
            KeyPipeline.run(messages, ENTRIES, CONCURRENCY, batch -> {
                List<SendMessageBatchRequestEntry> entries = new ArrayList<>(batch.size());
                for (int j = 0; j < batch.size(); j++) {
                    OutboxMessage m = batch.get(j);
                    Map<String, MessageAttributeValue> attributes = new LinkedHashMap<>();
                    SqsMessages.attributes(CloudEvent.of(m, CloudEvent.DEFAULT_SOURCE)).forEach((k, v) -> attributes.put(k,
                            MessageAttributeValue.builder().dataType("String").stringValue(v).build()));
                    SendMessageBatchRequestEntry.Builder e = SendMessageBatchRequestEntry.builder().id(Integer.toString(j))
                            .messageBody(m.payload()).messageAttributes(attributes);
                    if (fifo) {
                        e.messageGroupId(SqsMessages.groupId(m)).messageDeduplicationId(m.id().toString());
                    }
                    entries.add(e.build());
                }
                SendMessageBatchResponse r = Aws.retried(retries, () -> client.sendMessageBatch(b -> b.queueUrl(url)
                        .entries(entries)));
                if (!r.failed().isEmpty() || r.successful().size() != entries.size()) {
                    throw new IllegalStateException("SQS refused " + r.failed().size() + " entries: " + r.failed());
                }
            });
            return Aws.noted(Measurement.of(messages.size(), start, System.nanoTime()), retries);
        }
    }

    @Override
    public String verify(String queue, long expected) {
        String url = admin.getQueueUrl(b -> b.queueName(queue)).queueUrl();
        String count = admin.getQueueAttributes(b -> b.queueUrl(url)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES);
        return Target.counted(queue, Long.parseLong(count), expected);
    }

    @Override
    public String handDescription() {
        return "`SqsClient.sendMessageBatch`, " + ENTRIES + " entries per request, " + CONCURRENCY
                + " requests in flight, a key's next event after its previous one was stored; same client set-up,"
                + " bodies, attributes" + (fifo ? ", group and deduplication ids" : "") + " as the transport";
    }

    @Override
    public Map<String, String> settings() {
        return Map.of("AWS SDK", Machine.versionOf(SqsClient.class));
    }

    @Override
    public void close() {
        admin.close();
    }
}
