package dev.outbox.relay.transport.http;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportFactory;
import java.time.Clock;

/**
 * The {@code http} transport ({@code OUTBOX_TRANSPORT=http}): every event as a signed webhook, an
 * HTTP POST in CloudEvents binary mode with Standard Webhooks signature headers, sent with the
 * JDK's {@link java.net.http.HttpClient}, see {@link HttpTransport}. Found by
 * {@link java.util.ServiceLoader}; embedders use {@link HttpTransport#builder()}.
 *
 * <p>Its settings are declared once in {@link #config()}: keys {@code OUTBOX_WEBHOOK_*} (the
 * sidecar's own endpoints own {@code OUTBOX_HTTP_*}), the routes and the CloudEvents source. The
 * URL, the signing secrets and the static headers are secrets (and may come from
 * {@code <KEY>_FILE}); the routes are shown with the query and user info of their URLs masked.
 * Every value is checked before {@link #create}, which cannot fail.
 */
public final class HttpTransportFactory implements TransportFactory {

    @Override
    public String name() {
        return "http";
    }

    @Override
    public ConfigModel config() {
        return WebhookSettings.MODEL;
    }

    @Override
    public Transport create(ConfigValues values) {
        return new HttpTransport(WebhookSettings.from(values), Clock.systemUTC());
    }
}
