package dev.outbox.relay.transport.http;

import dev.outbox.relay.transport.Router;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The validated, immutable settings of an {@link HttpTransport}, built by
 * {@link HttpTransportFactory#create}. Holds secrets (signer keys, configured headers): its
 * {@link #toString()} shows neither.
 *
 * @param router event → URL
 * @param source the CloudEvents {@code source}
 * @param signer signs each request; {@code null} when no secret is configured (no {@code webhook-signature})
 * @param headers static headers added to every request (e.g. {@code Authorization}), in order
 * @param timeout longest wait for one response
 * @param connectTimeout longest wait for a TCP/TLS connection
 * @param maxConcurrency most requests in flight at once
 * @param batch one request per destination with a JSON array body instead of one per event
 */
record WebhookSettings(Router router, String source, WebhookSigner signer, Map<String, String> headers,
                       Duration timeout, Duration connectTimeout, int maxConcurrency, boolean batch) {

    WebhookSettings {
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(source, "source");
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    @Override
    public String toString() {
        return "WebhookSettings[source=" + source + ", signed=" + (signer != null) + ", headers=" + headers.keySet()
                + ", timeout=" + timeout + ", connectTimeout=" + connectTimeout + ", maxConcurrency="
                + maxConcurrency + ", batch=" + batch + "]";
    }
}
