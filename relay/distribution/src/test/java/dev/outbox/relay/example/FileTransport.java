package dev.outbox.relay.example;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.spi.OutboxMessage;
import dev.outbox.relay.spi.SendResult;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportException;
import dev.outbox.relay.spi.TransportFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** The README's example of a custom transport, packaged and run with the sidecar by CustomTransportIT. */
// tag::customTransport[]
/** Appends one line per event to a file; an event is acknowledged once the line is on disk. */
public final class FileTransport implements Transport {
    private final FileChannel file;

    FileTransport(Path path) throws IOException {
        file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    @Override
    public List<SendResult> send(List<OutboxMessage> batch) {
        StringBuilder lines = new StringBuilder();
        for (OutboxMessage m : batch) {
            lines.append(m.id()).append(' ').append(m.type()).append(' ').append(m.payload()).append('\n');
        }
        try {
            file.write(ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8)));
            file.force(false); // durable before we say "acknowledged"
        } catch (IOException e) {
            throw TransportException.retryable("cannot append to the file: " + e.getMessage(), e);
        }
        return batch.stream().map(m -> SendResult.acknowledged(m.id())).toList();
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException ignored) {
            // nothing left to flush: every send forced its lines to disk
        }
    }

    /** Found by the sidecar through META-INF/services; selected with OUTBOX_TRANSPORT=file. */
    public static final class Factory implements TransportFactory {
        static final Setting<String> PATH = Setting.text("file.path", "OUTBOX_FILE_PATH").required()
                .description("The file events are appended to.").build();

        @Override
        public String name() {
            return "file";
        }

        @Override
        public ConfigModel config() {
            return ConfigModel.of(name(), List.of(PATH));
        }

        @Override
        public Transport create(ConfigValues values) {
            String path = values.get(PATH);
            try {
                return new FileTransport(Path.of(path));
            } catch (IOException e) {
                throw new OutboxException("OUTBOX_FILE_PATH must be a writable file (was \"" + path + "\"): " + e, e);
            }
        }
    }
}
// end::customTransport[]
