package dev.outbox.relay.transport.nats;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.transport.Router;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The validated configuration of the {@code nats} transport, read once by
 * {@link NatsTransportFactory#create}. Immutable; {@link #toString()} never shows the token or
 * credentials in server URLs.
 *
 * @param servers server URLs ({@code nats://host:port}, {@code tls://…}, {@code ws://…},
 *        {@code wss://…}); the client tries them in turn and reconnects to any of them
 * @param credentialsFile a NATS {@code .creds} file (JWT + NKey seed), or {@code null}
 * @param token an authentication token (a secret), or {@code null}
 * @param ackTimeout how long one batch waits for its PubAcks
 * @param router event → subject
 * @param source the CloudEvents {@code source}
 */
record NatsSettings(List<String> servers, Path credentialsFile, String token, Duration ackTimeout, Router router,
        String source) {

    static final String URL = "OUTBOX_NATS_URL";
    static final String CREDENTIALS_FILE = "OUTBOX_NATS_CREDENTIALS_FILE";
    static final String TOKEN = "OUTBOX_NATS_TOKEN";
    static final String ACK_TIMEOUT = "OUTBOX_NATS_ACK_TIMEOUT";
    static final String SOURCE = CloudEvent.SOURCE_KEY;
    static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(30);
    static final Duration MAX_ACK_TIMEOUT = Duration.ofMinutes(10);
    static final String DEFAULT_ROUTE = "${aggregatetype}";
    private static final Set<String> SCHEMES = Set.of("nats", "tls", "ws", "wss");

    NatsSettings {
        servers = List.copyOf(servers);
        Objects.requireNonNull(ackTimeout, "ackTimeout");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(source, "source");
    }

    /**
     * Reads and validates every key.
     *
     * @throws OutboxException naming the key, the rule and the value (never a secret's value)
     */
    static NatsSettings from(TransportConfig config) {
        List<String> servers = servers(config.require(URL));
        Path credentials = config.get(CREDENTIALS_FILE).map(String::strip).map(NatsSettings::credentialsFile)
                .orElse(null);
        String token = config.get(TOKEN).orElse(null);
        if (token != null && token.isBlank()) {
            throw new OutboxException(TOKEN + " must not be blank when set");
        }
        Duration ackTimeout = config.getDuration(ACK_TIMEOUT, DEFAULT_ACK_TIMEOUT);
        if (ackTimeout.isNegative() || ackTimeout.isZero() || ackTimeout.compareTo(MAX_ACK_TIMEOUT) > 0) {
            throw new OutboxException(ACK_TIMEOUT + " must be more than 0 and at most " + MAX_ACK_TIMEOUT.toMinutes()
                    + "m (was \"" + config.get(ACK_TIMEOUT).orElse("") + "\")");
        }
        Router router = Router.parse(config.get(Router.ROUTES_KEY).orElse(null),
                config.get(Router.DEFAULT_KEY, DEFAULT_ROUTE));
        return new NatsSettings(servers, credentials, token == null ? null : token.strip(), ackTimeout, router,
                CloudEvent.source(config));
    }

    private static List<String> servers(String value) {
        List<String> servers = new ArrayList<>();
        for (String entry : value.split(",")) {
            String url = entry.strip();
            if (url.isEmpty()) {
                throw new OutboxException(URL + " must be a comma-separated list of server URLs without empty"
                        + " entries (was \"" + redact(value) + "\")");
            }
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                throw new OutboxException(URL + " must contain URLs such as nats://127.0.0.1:4222 (was \""
                        + redact(url) + "\")");
            }
            if (uri.getScheme() == null || !SCHEMES.contains(uri.getScheme().toLowerCase(java.util.Locale.ROOT))
                    || uri.getHost() == null) {
                throw new OutboxException(URL + " must contain URLs of the form scheme://host[:port] with scheme nats,"
                        + " tls, ws or wss, e.g. nats://127.0.0.1:4222 (was \"" + redact(url) + "\")");
            }
            servers.add(url);
        }
        return servers;
    }

    private static Path credentialsFile(String value) {
        Path path = Path.of(value);
        if (value.isEmpty() || !Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new OutboxException(CREDENTIALS_FILE + " must name a readable NATS .creds file (was \"" + value + "\")");
        }
        return path;
    }

    /** {@code url} with any user info (user:password@, token@) replaced: safe for messages and logs. */
    static String redact(String url) {
        return Redaction.userInfo(url);
    }

    /**
     * Masks every secret of this configuration in a text, e.g. a client's error message: the token,
     * the user info of the server URLs (as written and decoded) and any URL's user info.
     */
    UnaryOperator<String> scrubber() {
        List<String> secrets = new ArrayList<>();
        if (token != null) {
            secrets.add(token);
        }
        for (String server : servers) {
            String userInfo = URI.create(server).getRawUserInfo();
            if (userInfo != null) {
                secrets.add(userInfo);
                for (String part : userInfo.split(":", 2)) {
                    secrets.add(part);
                    secrets.add(URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8));
                }
            }
        }
        return Redaction.scrubber(secrets);
    }

    @Override
    public String toString() {
        return "NatsSettings[servers=" + redact(String.join(",", servers)) + ", credentialsFile=" + credentialsFile
                + ", token=" + (token == null ? "none" : "****") + ", ackTimeout=" + ackTimeout + ", source=" + source + "]";
    }
}
