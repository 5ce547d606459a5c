package dev.outbox.relay.transport.nats;

import static java.util.stream.Collectors.joining;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigModel;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The settings of the {@code nats} transport, each declared once below ({@link #MODEL}), and
 * their validated values for one {@link NatsTransport}. Immutable; {@link #toString()} never shows
 * the token or credentials in server URLs.
 */
public final class NatsSettings {
    private static final Set<String> SCHEMES = Set.of("nats", "tls", "ws", "wss");

    // Secret: a server URL may hold user:password@ or token@; also read from OUTBOX_NATS_URL_FILE.
    public static final Setting<String> URL = Setting.text("nats.url", "OUTBOX_NATS_URL")
            .required().secret().check(NatsSettings::serversProblem).shownType("scheme://host:port[,…]")
            .description("NATS server URLs, comma-separated, e.g. `nats://127.0.0.1:4222` (schemes nats, tls, ws,"
                    + " wss); the client tries them in turn and reconnects to any of them.").build();
    public static final Setting<String> CREDENTIALS_FILE = Setting.text("nats.credentialsFile",
                    "OUTBOX_NATS_CREDENTIALS_FILE")
            .shownType("path").check(v -> v.isBlank() ? "must name a readable NATS .creds file (was \"" + v + "\")" : null)
            .description("A NATS `.creds` file (JWT and NKey seed) to authenticate with.").build();
    public static final Setting<String> TOKEN = Setting.text("nats.token", "OUTBOX_NATS_TOKEN").secret()
            .check(v -> v.isBlank() ? "must not be blank when set" : null)
            .description("A token to authenticate with.").build();
    public static final Setting<Duration> ACK_TIMEOUT = Setting.duration("nats.ackTimeout", "OUTBOX_NATS_ACK_TIMEOUT")
            .defaultValue(Duration.ofSeconds(30)).check(Setting.between(Duration.ofMillis(1), Duration.ofMinutes(10)))
            .description("How long a batch waits for its PubAcks; an event without one is an outage, not charged.")
            .build();
    /** The subject of events without a route: their aggregate type. */
    public static final Setting<String> ROUTE_DEFAULT = Router.routeDefault("${aggregatetype}");

    /** Every setting of the {@code nats} transport: the subject of an event is its route. */
    public static final ConfigModel MODEL = ConfigModel.of("nats", List.of(URL, CREDENTIALS_FILE, TOKEN, ACK_TIMEOUT,
            Router.ROUTES, ROUTE_DEFAULT, CloudEvent.SOURCE));

    private final List<String> servers;
    private final Path credentialsFile;
    private final String token;
    private final Duration ackTimeout;
    private final Router router;
    private final String source;

    private NatsSettings(ConfigValues values, Path credentialsFile) {
        this.servers = Arrays.stream(values.get(URL).split(",")).map(String::strip).toList();
        this.credentialsFile = credentialsFile;
        this.token = values.get(TOKEN);
        this.ackTimeout = values.get(ACK_TIMEOUT);
        this.router = Router.of(values, ROUTE_DEFAULT);
        this.source = values.get(CloudEvent.SOURCE);
    }

    /**
     * The settings of validated values of {@link #MODEL}; checks that the credentials file can be read.
     *
     * @throws OutboxException if it cannot, naming the key and the path
     * @throws IllegalArgumentException if they are values of another model
     */
    static NatsSettings from(ConfigValues values) {
        if (values.model() != MODEL) {
            throw new IllegalArgumentException("values of " + values.model().name() + ", not of nats");
        }
        Path credentials = values.find(CREDENTIALS_FILE).map(NatsSettings::credentialsFile).orElse(null);
        return new NatsSettings(values, credentials);
    }

    /** Server URLs ({@code nats://host:port}, {@code tls://…}, {@code ws://…}, {@code wss://…}); may hold secrets. */
    List<String> servers() {
        return servers;
    }

    /** A NATS {@code .creds} file (JWT + NKey seed), or {@code null}. */
    Path credentialsFile() {
        return credentialsFile;
    }

    /** An authentication token (a secret), or {@code null}. */
    String token() {
        return token;
    }

    /** How long one batch waits for its PubAcks. */
    Duration ackTimeout() {
        return ackTimeout;
    }

    /** Event → subject. */
    Router router() {
        return router;
    }

    /** The CloudEvents {@code source}. */
    String source() {
        return source;
    }

    /** The server URLs without user info: safe for messages and logs. */
    String shownServers() {
        return servers.stream().map(Redaction::url).collect(joining(","));
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
        return "NatsSettings[servers=" + shownServers() + ", credentialsFile=" + credentialsFile
                + ", token=" + (token == null ? "none" : Redaction.MASK) + ", ackTimeout=" + ackTimeout
                + ", source=" + source + "]";
    }

    /** What is wrong with the server URLs (without the key; user info masked), or {@code null}. */
    private static String serversProblem(String value) {
        for (String entry : value.split(",")) {
            String url = entry.strip();
            if (url.isEmpty()) {
                return "must be a comma-separated list of server URLs without empty entries (was \""
                        + Arrays.stream(value.split(",")).map(Redaction::url).collect(joining(",")) + "\")";
            }
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                // Not e's text: URISyntaxException quotes the input, user info included.
                return "must contain URLs such as nats://127.0.0.1:4222 (was \"" + Redaction.url(url) + "\")";
            }
            if (uri.getScheme() == null || !SCHEMES.contains(uri.getScheme().toLowerCase(Locale.ROOT))
                    || uri.getHost() == null) {
                return "must contain URLs of the form scheme://host[:port] with scheme nats, tls, ws or wss, e.g."
                        + " nats://127.0.0.1:4222 (was \"" + Redaction.url(url) + "\")";
            }
        }
        return null;
    }

    /** Reads the file system: checked when the transport is created, not when the value is read. */
    private static Path credentialsFile(String value) {
        Path path = Path.of(value);
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new OutboxException(CREDENTIALS_FILE.env() + " must name a readable NATS .creds file (was \""
                    + value + "\")");
        }
        return path;
    }
}
