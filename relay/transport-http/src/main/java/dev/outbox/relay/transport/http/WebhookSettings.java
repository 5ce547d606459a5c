package dev.outbox.relay.transport.http;

import static dev.outbox.relay.config.Setting.between;

import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Naming;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The settings of the {@code http} transport, each declared once ({@link #MODEL}; keys
 * {@code OUTBOX_WEBHOOK_*}, because the sidecar's own endpoints own {@code OUTBOX_HTTP_*}), and
 * the validated, immutable configuration of one {@link HttpTransport} made from their values by
 * {@link #from(ConfigValues)}. Holds secrets (signer keys, configured headers): its
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
    /** Keys are at least this long, as the Standard Webhooks specification recommends. */
    static final int MIN_KEY_BYTES = 24;

    /** A secret: a webhook URL's query often carries a token. */
    public static final Setting<String> URL = Setting.text("webhook.url", "OUTBOX_WEBHOOK_URL").secret()
            .check(url -> url.isEmpty() ? null : WebhookUrls.problem(url)).shownType("http(s) URL")
            .description("Where events go unless a route says otherwise: an absolute http:// or https:// URL."
                    + " Required unless OUTBOX_ROUTES or OUTBOX_ROUTE_DEFAULT give the URLs.").build();
    public static final Setting<String> SECRETS = Setting.text("webhook.secrets", "OUTBOX_WEBHOOK_SECRETS").secret()
            .check(WebhookSettings::secretsProblem).shownType("whsec_<base64>[,whsec_<base64>…]")
            .description("Standard Webhooks signing secrets `whsec_<base64>` (at least 24 bytes), separated by commas"
                    + " or blanks (one per line in a file); several while rotating, each signs every request."
                    + " Unset: requests are not signed.").build();
    public static final Setting<String> HEADERS = Setting.text("webhook.headers", "OUTBOX_WEBHOOK_HEADERS").secret()
            .check(WebhookSettings::headersProblem).shownType("Name: value[; Name: value…]")
            .description("Static headers added to every request, `Name: value; Name2: value2`, e.g. an"
                    + " `Authorization`; values may not contain `;`.").build();
    public static final Setting<Duration> TIMEOUT = Setting.duration("webhook.timeout", "OUTBOX_WEBHOOK_TIMEOUT")
            .defaultValue(Duration.ofSeconds(10)).check(between(Duration.ofMillis(1), Duration.ofHours(1)))
            .description("Longest wait for one response; none by then is an outage.").build();
    public static final Setting<Duration> CONNECT_TIMEOUT = Setting.duration("webhook.connectTimeout",
                    "OUTBOX_WEBHOOK_CONNECT_TIMEOUT").defaultValue(Duration.ofSeconds(5))
            .check(between(Duration.ofMillis(1), Duration.ofHours(1)))
            .description("Longest wait for a TCP/TLS connection; none by then is an outage.").build();
    public static final Setting<Boolean> BATCH = Setting.bool("webhook.batch", "OUTBOX_WEBHOOK_BATCH")
            .defaultValue(false)
            .description("`true`: one request per URL with a CloudEvents JSON batch instead of one per event.")
            .build();
    public static final Setting<Integer> MAX_CONCURRENCY = Setting.integer("webhook.maxConcurrency",
                    "OUTBOX_WEBHOOK_MAX_CONCURRENCY").defaultValue(32).check(between(1, 1024))
            .description("Most requests in flight at once.").build();
    /** Unlike other transports' default route, empty or unset means {@link #URL}. */
    public static final Setting<String> ROUTE_DEFAULT = Router.template("routeDefault", "OUTBOX_ROUTE_DEFAULT", null,
            "URL of events without a route; `${aggregatetype}` and `${type}` are replaced. Unset: OUTBOX_WEBHOOK_URL.");

    /** Every setting the {@code http} transport reads, and the rules between them. */
    public static final ConfigModel MODEL = new ConfigModel("http", List.of(URL, SECRETS, HEADERS, TIMEOUT,
            CONNECT_TIMEOUT, BATCH, MAX_CONCURRENCY, Router.ROUTES, ROUTE_DEFAULT, CloudEvent.SOURCE),
            List.of(WebhookSettings::somewhereToSend, WebhookSettings::routesAreUrls,
                    WebhookSettings::routeDefaultIsUrl));

    WebhookSettings {
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(source, "source");
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** The configuration of validated values of {@link #MODEL}. */
    static WebhookSettings from(ConfigValues values) {
        String url = nonBlank(values.get(URL)).orElse(null);
        Router router = Router.of(values.get(Router.ROUTES), nonBlank(values.get(ROUTE_DEFAULT)).orElse(url));
        WebhookSigner signer = nonBlank(values.get(SECRETS)).map(s -> new WebhookSigner(keys(s))).orElse(null);
        Map<String, String> headers = nonBlank(values.get(HEADERS)).map(WebhookSettings::headers).orElse(Map.of());
        return new WebhookSettings(router, values.get(CloudEvent.SOURCE), signer, headers, values.get(TIMEOUT),
                values.get(CONNECT_TIMEOUT), values.get(MAX_CONCURRENCY), values.get(BATCH));
    }

    @Override
    public String toString() {
        return "WebhookSettings[source=" + source + ", signed=" + (signer != null) + ", headers=" + headers.keySet()
                + ", timeout=" + timeout + ", connectTimeout=" + connectTimeout + ", maxConcurrency="
                + maxConcurrency + ", batch=" + batch + "]";
    }

    private static String somewhereToSend(ConfigValues values, Naming naming) {
        return nonBlank(values.get(URL)).or(() -> nonBlank(values.get(Router.ROUTES)))
                .or(() -> nonBlank(values.get(ROUTE_DEFAULT))).isPresent() ? null
                : URL.name(naming) + " is required unless " + Router.ROUTES.name(naming) + " or "
                + ROUTE_DEFAULT.name(naming) + " gives the URLs (was unset)";
    }

    /** Every route's destination is a URL (the routes' syntax is checked by the setting itself). */
    private static String routesAreUrls(ConfigValues values, Naming naming) {
        Optional<String> routes = nonBlank(values.get(Router.ROUTES));
        if (routes.isPresent()) {
            for (String entry : routes.get().split(",")) {
                String pair = entry.strip();
                String problem = templateProblem(pair.substring(pair.indexOf('=') + 1).strip());
                if (problem != null) {
                    return Router.ROUTES.name(naming) + " " + problem;
                }
            }
        }
        return null;
    }

    private static String routeDefaultIsUrl(ConfigValues values, Naming naming) {
        String problem = nonBlank(values.get(ROUTE_DEFAULT)).map(WebhookSettings::templateProblem).orElse(null);
        return problem == null ? null : ROUTE_DEFAULT.name(naming) + " " + problem;
    }

    /**
     * A URL template's problem: checked with a sample value now (scheme, host) and again per event,
     * where a bad URL fails that event only.
     */
    private static String templateProblem(String template) {
        return WebhookUrls.problem(template.replace("${aggregatetype}", "Sample").replace("${type}", "Sample"));
    }

    private static Optional<String> nonBlank(String text) {
        return Optional.ofNullable(text).filter(t -> !t.isBlank());
    }

    private static String secretsProblem(String secrets) {
        try {
            keys(secrets);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /**
     * Decoded keys of {@code whsec_<base64>} secrets separated by commas or whitespace (one per line
     * in a file); none for blank text.
     *
     * @throws IllegalArgumentException naming the secret's position, never its value
     */
    static List<byte[]> keys(String secrets) {
        List<byte[]> keys = new ArrayList<>();
        if (secrets.isBlank()) {
            return keys;
        }
        int position = 0;
        for (String secret : secrets.strip().split("[,\\s]+")) {
            position++;
            byte[] key = WebhookVerifier.decodeSecret(secret, position);
            if (key.length < MIN_KEY_BYTES) {
                throw new IllegalArgumentException("secret #" + position + " must decode to at least " + MIN_KEY_BYTES
                        + " bytes (was " + key.length + " bytes; value not shown)");
            }
            keys.add(key);
        }
        return keys;
    }

    private static String headersProblem(String text) {
        try {
            headers(text);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /**
     * Parses {@code Name: value; Name2: value2}. Values may not contain {@code ;}.
     *
     * @throws IllegalArgumentException naming the header but never showing a value (they are
     *         typically credentials)
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
                throw new IllegalArgumentException("must be \"Name: value\" pairs separated by ; (found an entry"
                        + " without ':'; not shown, it may hold a credential)");
            }
            String value = entry.substring(colon + 1).strip();
            if (!WebhookHeaders.sendable(name)) {
                throw new IllegalArgumentException("sets header " + quotedName(name) + ", which cannot be configured:"
                        + " it must be a valid header name, not hop-by-hop (Connection, Host, Content-Length, …), not"
                        + " ce-* and not one the transport sets (Content-Type, webhook-*, traceparent, tracestate)");
            }
            try {
                HttpRequest.newBuilder(URI.create("http://localhost/")).header(name, value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("sets header " + quotedName(name) + " to a value that is not a"
                        + " valid HTTP header value (control characters? value not shown)");
            }
            if (headers.keySet().stream().anyMatch(n -> n.equalsIgnoreCase(name))) {
                throw new IllegalArgumentException("sets header " + quotedName(name) + " twice");
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
