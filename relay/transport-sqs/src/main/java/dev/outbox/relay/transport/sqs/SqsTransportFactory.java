package dev.outbox.relay.transport.sqs;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;

/**
 * The {@code sqs} transport ({@code OUTBOX_TRANSPORT=sqs}): each event as an Amazon SQS message,
 * standard or FIFO queue, see {@link SqsTransport}. Found by {@link java.util.ServiceLoader}. Its
 * settings ({@code OUTBOX_SQS_ENDPOINT}, {@code OUTBOX_SQS_REGION}, {@code OUTBOX_SQS_TIMEOUT},
 * routes and CloudEvents source) are declared once in {@link #config()}; credentials come from
 * the AWS SDK's default chain, never from these settings. Embedders use
 * {@link SqsTransport#builder()}. {@link #create} does not connect, so SQS being unreachable at
 * start-up does not stop the relay.
 */
public final class SqsTransportFactory implements TransportFactory {

    @Override
    public String name() {
        return "sqs";
    }

    @Override
    public ConfigModel config() {
        return SqsSettings.MODEL;
    }

    @Override
    public Transport create(ConfigValues values) {
        return SqsTransport.create(values);
    }
}
