package dev.outbox.bench.brokers;

import dev.outbox.bench.EventSpec;
import dev.outbox.bench.Machine;
import dev.outbox.bench.Measurement;
import dev.outbox.bench.Target;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.transport.CloudEvent;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * NATS JetStream: per run a file-storage stream capturing one subject. By hand: one connection,
 * {@code publishAsync} of every message as the transport builds it ({@code Nats-Msg-Id} = event
 * id, CloudEvents NATS headers), at most {@value #WINDOW} PubAcks outstanding (the client's
 * outgoing queue is bounded), all awaited.
 */
final class NatsTarget implements Target {
    static final int WINDOW = 1_000;

    private final String url;
    private final EventSpec events;
    private final Connection admin;
    private final JetStreamManagement streams;

    NatsTarget(String url, EventSpec events) throws Exception {
        this.url = url;
        this.events = events;
        this.admin = Nats.connect(url);
        this.streams = admin.jetStreamManagement();
    }

    @Override
    public String label() {
        return "nats, JetStream";
    }

    @Override
    public String transport() {
        return "nats";
    }

    @Override
    public EventSpec events() {
        return events;
    }

    @Override
    public void create(String subject) throws Exception {
        streams.addStream(StreamConfiguration.builder().name(subject).subjects(subject).storageType(StorageType.File)
                .build());
    }

    @Override
    public void delete(String subject) {
        try {
            streams.deleteStream(subject);
        } catch (JetStreamApiException gone) {
            // never created
        } catch (Exception e) {
            throw new IllegalStateException("cannot delete stream " + subject + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Map<String, String> transportEnv(String subject) {
        return Map.of("OUTBOX_NATS_URL", url, "OUTBOX_ROUTE_DEFAULT", subject);
    }

    @Override
    public Measurement byHand(String subject, List<OutboxMessage> messages) throws Exception {
        long start = System.nanoTime();
        Connection c = Nats.connect(url);
        try {
            JetStream js = c.jetStream();
            Deque<CompletableFuture<PublishAck>> pending = new ArrayDeque<>();
            for (OutboxMessage m : messages) {
                if (pending.size() >= WINDOW) {
                    pending.poll().get(60, TimeUnit.SECONDS);
                }
                CloudEvent event = CloudEvent.of(m, CloudEvent.DEFAULT_SOURCE);
                pending.add(js.publishAsync(subject, headers(event), event.dataBytes()));
            }
            while (!pending.isEmpty()) {
                pending.poll().get(60, TimeUnit.SECONDS);
            }
            return Measurement.of(messages.size(), start, System.nanoTime());
        } finally {
            c.close();
        }
    }

    /** As the transport's {@code NatsMessages.headers}: Nats-Msg-Id, ce-*, content-type, percent-encoded values. */
    static Headers headers(CloudEvent event) {
        Headers h = new Headers();
        h.put("Nats-Msg-Id", event.id());
        event.attributes().forEach((name, value) -> h.put(name.equals("datacontenttype") ? "content-type" : "ce-" + name,
                encode(value)));
        event.otherHeaders().forEach((name, value) -> h.put(name, encode(value)));
        return h;
    }

    private static String encode(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 0x21 || c > 0x7e || c == '"' || c == '%') {
                out.append('%').append(String.format("%02X", c));
            } else {
                out.append((char) c);
            }
        }
        return out.toString();
    }

    @Override
    public String verify(String subject, long expected) throws Exception {
        return Target.counted("stream " + subject, streams.getStreamInfo(subject).getStreamState().getMsgCount(), expected);
    }

    @Override
    public String handDescription() {
        return "`JetStream.publishAsync` of every message (the transport's headers, `Nats-Msg-Id` = event id), at most "
                + WINDOW + " PubAcks outstanding, all awaited; a file-storage stream";
    }

    @Override
    public Map<String, String> settings() {
        return Map.of("nats-server", admin.getServerInfo().getVersion(), "jnats", Machine.versionOf(Nats.class));
    }

    @Override
    public void close() {
        try {
            admin.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
