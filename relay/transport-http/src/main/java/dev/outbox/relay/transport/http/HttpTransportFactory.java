package dev.outbox.relay.transport.http;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.Transport;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.spi.TransportFactory;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code http} transport ({@code OUTBOX_TRANSPORT=http}): every event as a signed webhook, an
 * HTTP POST in CloudEvents binary mode with Standard Webhooks signature headers, sent with the
 * JDK's {@link java.net.http.HttpClient}. Found by {@link java.util.ServiceLoader}.
 *
 * <p>Keys use the prefix {@code OUTBOX_WEBHOOK_} because the sidecar's own health endpoint already
 * owns {@code OUTBOX_HTTP_ENABLED/HOST/PORT}. {@link #create} validates everything up front and
 * fails with an {@link OutboxException} naming the key, the rule and (except for secrets) the value.
 */
public final class HttpTransportFactory implements TransportFactory {
    /** Default URL; also the default of {@code OUTBOX_ROUTE_DEFAULT}. */
    public static final String URL = "OUTBOX_WEBHOOK_URL";
    /** Comma- or whitespace-separated {@code whsec_<base64>} signing secrets (several while rotating). */
    public static final String SECRETS = "OUTBOX_WEBHOOK_SECRETS";
    /** Response timeout per request (default 10s). */
    public static final String TIMEOUT = "OUTBOX_WEBHOOK_TIMEOUT";
    /** Connect timeout (default 5s). */
    public static final String CONNECT_TIMEOUT = "OUTBOX_WEBHOOK_CONNECT_TIMEOUT";
    /** {@code true}: one request per destination with a CloudEvents JSON batch (default false). */
    public static final String BATCH = "OUTBOX_WEBHOOK_BATCH";
    /** Static headers {@code Name: value; Name2: value2}, e.g. an Authorization (a secret). */
    public static final String HEADERS = "OUTBOX_WEBHOOK_HEADERS";
    /** Most requests in flight at once (default 32). */
    public static final String MAX_CONCURRENCY = "OUTBOX_WEBHOOK_MAX_CONCURRENCY";
    public static final String SOURCE = CloudEvent.SOURCE_KEY;

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final int DEFAULT_MAX_CONCURRENCY = 32;
    /** Keys are at least this long, as the Standard Webhooks specification recommends. */
    static final int MIN_KEY_BYTES = 24;
    private static final String FILE_SUFFIX = "_FILE";

    @Override
    public String name() {
        return "http";
    }

    @Override
    public Set<String> configKeys() {
        return Set.of(URL, SECRETS, TIMEOUT, CONNECT_TIMEOUT, BATCH, HEADERS, MAX_CONCURRENCY, SOURCE,
                Router.ROUTES_KEY, Router.DEFAULT_KEY);
    }

    /**
     * The signing secrets, the static headers (credentials), and the URL keys: a webhook URL often
     * carries a token in its query, so the settings line shows them as {@code ****} and messages
     * quote URLs without query and user info. The sidecar also accepts each as {@code <KEY>_FILE}.
     */
    @Override
    public Set<String> secretKeys() {
        return Set.of(SECRETS, HEADERS, URL, Router.ROUTES_KEY, Router.DEFAULT_KEY);
    }

    @Override
    public Transport create(TransportConfig config) {
        return new HttpTransport(settings(config), Clock.systemUTC());
    }

    /** Validates {@code config}; package-private so that tests check the rules without a transport. */
    static WebhookSettings settings(TransportConfig config) {
        Optional<String> url = config.get(URL).map(String::strip).filter(s -> !s.isEmpty());
        url.ifPresent(u -> checkUrl(URL, u));
        String routes = config.get(Router.ROUTES_KEY).orElse(null);
        String defaultRoute = config.get(Router.DEFAULT_KEY).map(String::strip).filter(s -> !s.isEmpty())
                .orElse(url.orElse(null));
        if ((routes == null || routes.isBlank()) && defaultRoute == null) {
            throw new OutboxException(URL + " is required unless " + Router.ROUTES_KEY + " or " + Router.DEFAULT_KEY
                    + " gives the URLs (was unset)");
        }
        Router router = Router.parse(routes, defaultRoute);
        if (routes != null && !routes.isBlank()) {
            // Router.parse accepted the syntax, so every entry is selector=destination.
            for (String entry : routes.split(",")) {
                String pair = entry.strip();
                checkTemplate(Router.ROUTES_KEY, pair.substring(pair.indexOf('=') + 1).strip());
            }
        }
        if (defaultRoute != null) {
            checkTemplate(Router.DEFAULT_KEY, defaultRoute);
        }
        String source = CloudEvent.source(config);
        Duration timeout = positive(TIMEOUT, config.getDuration(TIMEOUT, DEFAULT_TIMEOUT));
        Duration connectTimeout = positive(CONNECT_TIMEOUT, config.getDuration(CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT));
        int maxConcurrency = config.getInt(MAX_CONCURRENCY, DEFAULT_MAX_CONCURRENCY, 1, 1024);
        boolean batch = config.getBoolean(BATCH, false);
        String secrets = secret(config, SECRETS);
        WebhookSigner signer = secrets == null || secrets.isBlank() ? null : new WebhookSigner(keys(secrets));
        String headers = secret(config, HEADERS);
        return new WebhookSettings(router, source, signer, headers == null ? Map.of() : headers(headers),
                timeout, connectTimeout, maxConcurrency, batch);
    }

    /**
     * The URL of a fixed destination, checked now; a template with placeholders is checked with a
     * sample value now (scheme, host) and again per event, where a bad URL fails that event only.
     */
    private static void checkTemplate(String key, String template) {
        checkUrl(key, template.replace("${aggregatetype}", "Sample").replace("${type}", "Sample"));
    }

    private static void checkUrl(String key, String value) {
        String problem = WebhookUrls.problem(value);
        if (problem != null) {
            throw new OutboxException(key + " " + problem);
        }
    }

    private static Duration positive(String key, Duration value) {
        if (value.isNegative() || value.isZero() || value.compareTo(Duration.ofHours(1)) > 0) {
            throw new OutboxException(key + " must be between 1ms and 1h (was " + value + ")");
        }
        return value;
    }

    /**
     * A secret value: from KEY, or for embedders that pass the raw keys, from the file named by
     * KEY_FILE (the sidecar reads that file itself and passes KEY).
     */
    private static String secret(TransportConfig config, String key) {
        Optional<String> direct = config.get(key);
        Optional<String> file = config.get(key + FILE_SUFFIX);
        if (direct.isPresent() && file.isPresent()) {
            throw new OutboxException(key + " and " + key + FILE_SUFFIX + " are both set: use one of them");
        }
        if (file.isEmpty()) {
            return direct.orElse(null);
        }
        try {
            return Files.readString(Path.of(file.get().strip()), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            throw new OutboxException(key + FILE_SUFFIX + ": cannot read the secret file " + file.get().strip()
                    + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Decoded keys of {@code whsec_<base64>} secrets separated by commas or whitespace (one per line in a file). */
    static List<byte[]> keys(String secrets) {
        List<byte[]> keys = new ArrayList<>();
        int position = 0;
        for (String secret : secrets.strip().split("[,\\s]+")) {
            position++;
            byte[] key;
            try {
                key = WebhookVerifier.decodeSecret(secret, position);
            } catch (IllegalArgumentException e) {
                throw new OutboxException(SECRETS + ": " + e.getMessage());
            }
            if (key.length < MIN_KEY_BYTES) {
                throw new OutboxException(SECRETS + ": secret #" + position + " must decode to at least "
                        + MIN_KEY_BYTES + " bytes (was " + key.length + " bytes; value not shown)");
            }
            keys.add(key);
        }
        return keys;
    }

    /**
     * Parses {@code Name: value; Name2: value2}. Values may not contain {@code ;}. Messages name the
     * header but never show a value (they are typically credentials).
     */
    static Map<String, String> headers(String text) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String entry : text.split(";")) {
            if (entry.isBlank()) {
                continue;
            }
            int colon = entry.indexOf(':');
            String name = colon < 0 ? entry.strip() : entry.substring(0, colon).strip();
            if (colon < 0) {
                throw new OutboxException(HEADERS + " must be \"Name: value\" pairs separated by ; (found an entry"
                        + " without ':'; not shown, it may hold a credential)");
            }
            String value = entry.substring(colon + 1).strip();
            if (!WebhookHeaders.sendable(name)) {
                throw new OutboxException(HEADERS + ": header " + quotedName(name) + " cannot be configured: it must be"
                        + " a valid header name, not hop-by-hop (Connection, Host, Content-Length, …), not ce-* and"
                        + " not one the transport sets (Content-Type, webhook-*, traceparent, tracestate)");
            }
            try {
                HttpRequest.newBuilder(URI.create("http://localhost/")).header(name, value);
            } catch (IllegalArgumentException e) {
                throw new OutboxException(HEADERS + ": the value of header " + quotedName(name)
                        + " is not a valid HTTP header value (control characters? value not shown)");
            }
            if (headers.keySet().stream().anyMatch(n -> n.equalsIgnoreCase(name))) {
                throw new OutboxException(HEADERS + " sets header " + quotedName(name) + " twice");
            }
            headers.put(name, value);
        }
        return headers;
    }

    /**
     * A header name for a message. Names are not secret, but a name that is not a valid token may
     * be a mistyped "Authorization Bearer …", so it is not shown.
     */
    private static String quotedName(String name) {
        return WebhookHeaders.isToken(name) ? "\"" + name + "\"" : "(an invalid name, not shown)";
    }
}
