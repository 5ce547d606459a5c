package dev.outbox.relay.transport.sqs;

import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.testing.EmulatorRestartContract;
import dev.outbox.relay.testing.PrivateEmulator;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * A moto of this test alone killed with SIGKILL while a relay drains a backlog into a FIFO
 * queue, and started again on the same port: see {@link EmulatorRestartContract} for what is
 * checked.
 *
 * <p><b>Accounting: nothing may be lost.</b> moto keeps its state in memory, but its recorder
 * appends every request to a file before handling it, so every {@code SendMessageBatch} moto
 * acknowledged is in that file when it dies. After the restart the recording is replayed without
 * the consumer's requests ({@code ReceiveMessage}, {@code DeleteMessage…},
 * {@code ChangeMessageVisibility…}, whose receipt handles would not match anew): the queue is
 * created again and holds every message moto ever acknowledged, so every event must arrive,
 * those read before the kill a second time. A FIFO queue (group = event key) hands out a group's
 * messages in order, so per-key order is checked within each life of moto.
 *
 * <p>600 events over 100 keys, not thousands: moto's SQS goes through all of a queue's messages
 * for every message sent (to count them for the queue's attributes, measured with cProfile) and
 * received, and takes some 20-100 messages a second here even with the queue kept short by a
 * consumer reading all along; so the test stays near a minute.
 */
class SqsEmulatorRestartIT extends EmulatorRestartContract {
    private static final String REGION = "us-east-1";
    /** The consumer's side of SQS: replaying it would hide (receive) messages anew or fail (delete by old receipt handles). */
    private static final Set<String> CONSUMER_ACTIONS = Set.of("ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
            "ChangeMessageVisibility", "ChangeMessageVisibilityBatch");

    static {
        // Dummy credentials where the transport's SDK chain finds them (moto checks none).
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
    }

    private SqsClient admin;
    private Reader reader;

    @Override
    protected PrivateEmulator startEmulator() {
        return PrivateEmulator.moto();
    }

    @Override
    protected TransportFactory factory() {
        return new SqsTransportFactory();
    }

    @Override
    protected int events() {
        return 600;
    }

    @Override
    protected Map<String, String> config(String aggregateType, String address) {
        return Map.of("OUTBOX_SQS_ENDPOINT", "http://" + address, "OUTBOX_SQS_REGION", REGION,
                "OUTBOX_SQS_TIMEOUT", "5s", "OUTBOX_ROUTES", aggregateType + "=" + aggregateType + ".fifo");
    }

    @Override
    protected void createDestinationAndConsume(String aggregateType) {
        admin = client(emulator.url());
        String url = admin.createQueue(b -> b.queueName(aggregateType + ".fifo").attributes(Map.of(
                QueueAttributeName.FIFO_QUEUE, "true", QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "false")))
                .queueUrl();
        reader = new Reader(admin, url);
    }

    /** The recording, replayed: the queue and every message moto acknowledged are back; the reader goes on. */
    @Override
    protected boolean recover(String aggregateType) {
        emulator.replayRecordingWithout(CONSUMER_ACTIONS);
        return true;
    }

    @Override
    protected List<String> received() {
        return reader.ids();
    }

    @Override
    protected boolean keepsPerKeyOrder() {
        return true;
    }

    @Override
    protected void cleanUp() {
        if (reader != null) {
            reader.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    private static SqsClient client(URI endpoint) {
        return SqsClient.builder().endpointOverride(endpoint).region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(10)))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    /**
     * One thread receiving and deleting the queue's messages all along, through the kill: a
     * failed call (moto dead, queue not there yet) is tried again.
     */
    static final class Reader implements AutoCloseable {
        private final List<String> ids = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean stopped;

        Reader(SqsClient client, String queueUrl) {
            thread = new Thread(() -> {
                while (!stopped) {
                    try {
                        List<Message> some = client.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
                                .waitTimeSeconds(1).messageAttributeNames("ce-id")).messages();
                        if (!some.isEmpty()) {
                            client.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(some.stream()
                                    .map(m -> DeleteMessageBatchRequestEntry.builder().id(m.messageId())
                                            .receiptHandle(m.receiptHandle()).build()).toList()));
                            List<String> got = new ArrayList<>(some.size());
                            some.forEach(m -> got.add(m.messageAttributes().get("ce-id").stringValue()));
                            ids.addAll(got);
                        }
                    } catch (RuntimeException e) {
                        // moto is down or has no queue yet: pace the retries, the next receive decides
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    }
                }
            }, "sqs-restart-reader");
            thread.setDaemon(true);
            thread.start();
        }

        List<String> ids() {
            return List.copyOf(ids);
        }

        @Override
        public void close() {
            stopped = true;
        }
    }
}
