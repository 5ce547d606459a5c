package dev.outbox.relay.transport.redis;

import static dev.outbox.relay.config.Setting.between;

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
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The settings of the {@code redis} transport, each declared once ({@link #MODEL}), and the
 * validated, immutable configuration of one {@link RedisTransport} made from their values by
 * {@link #from(ConfigValues)}. {@link #toString()} never shows the password.
 *
 * @param host the server's host name or address
 * @param port the server's port
 * @param tls {@code rediss://}: TLS with host name verification, trust from the JVM's defaults
 * @param database the logical database ({@code SELECT}), 0 unless the URL's path names one
 * @param user the ACL user, or {@code null} for the default user
 * @param password the password, or {@code null} for none (a secret)
 * @param keyPrefix put before every destination to form the stream key; may be empty
 * @param maxLen approximate stream length cap ({@code MAXLEN ~ n}), 0 for no trimming
 * @param timeout connect and read timeout of one command round trip
 * @param router event → destination
 * @param source the CloudEvents {@code source}
 */
record RedisSettings(String host, int port, boolean tls, int database, String user, String password,
                     String keyPrefix, long maxLen, Duration timeout, Router router, String source) {
    static final int DEFAULT_PORT = 6379;
    private static final String URL_SHAPE = "redis://[user:password@]host[:port][/db] or rediss://… for TLS";

    /** A secret as a whole: the URL carries the password. */
    public static final Setting<String> URL = Setting.text("redis.url", "OUTBOX_REDIS_URL").required().secret()
            .check(RedisSettings::urlProblem).shownType(URL_SHAPE)
            .description("Server URL: `redis://[user:password@]host[:port][/db]`, `rediss://…` for TLS;"
                    + " port 6379 and database 0 by default.").build();
    public static final Setting<String> KEY_PREFIX = Setting.text("redis.keyPrefix", "OUTBOX_REDIS_KEY_PREFIX")
            .defaultValue("").description("Put before the destination to form the stream key.").build();
    public static final Setting<Integer> MAXLEN = Setting.integer("redis.maxLen", "OUTBOX_REDIS_MAXLEN")
            .check(between(1, Integer.MAX_VALUE))
            .description("Cap each stream at about this many entries (`XADD … MAXLEN ~ n`); unset: no trimming.")
            .build();
    public static final Setting<Duration> TIMEOUT = Setting.duration("redis.timeout", "OUTBOX_REDIS_TIMEOUT")
            .defaultValue(Duration.ofSeconds(5)).check(between(Duration.ofMillis(1), Duration.ofMinutes(10)))
            .description("Connect and read timeout of one round trip; keep it below OUTBOX_SEND_TIMEOUT.").build();
    /** Empty sends only routed events. */
    public static final Setting<String> ROUTE_DEFAULT = Router.routeDefault("${aggregatetype}");

    /** Every setting the {@code redis} transport reads. */
    public static final ConfigModel MODEL = ConfigModel.of("redis", List.of(URL, KEY_PREFIX, MAXLEN, TIMEOUT,
            Router.ROUTES, ROUTE_DEFAULT, CloudEvent.SOURCE));

    RedisSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(source, "source");
    }

    /** The configuration of validated values of {@link #MODEL}. */
    static RedisSettings from(ConfigValues values) {
        Server server = Server.parse(values.get(URL));
        return new RedisSettings(server.host(), server.port(), server.tls(), server.database(), server.user(),
                server.password(), values.get(KEY_PREFIX), values.find(MAXLEN).orElse(0), values.get(TIMEOUT),
                Router.of(values, ROUTE_DEFAULT), values.get(CloudEvent.SOURCE));
    }

    /** Where the transport connects, for messages: never the credentials. */
    String address() {
        return (tls ? "rediss://" : "redis://") + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port
                + "/" + database;
    }

    @Override
    public String toString() {
        return "RedisSettings[url=" + address() + ", user=" + user + ", password="
                + (password == null ? "none" : Redaction.MASK) + ", keyPrefix=" + keyPrefix + ", maxLen=" + maxLen
                + ", timeout=" + timeout + ", source=" + source + "]";
    }

    private static String urlProblem(String url) {
        try {
            Server.parse(url);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** What the URL says: where to connect and as whom. */
    private record Server(String host, int port, boolean tls, int database, String user, String password) {

        /** @throws IllegalArgumentException whose message is the problem, without the key, the password masked */
        static Server parse(String url) {
            URI uri;
            try {
                uri = new URI(url);
            } catch (URISyntaxException e) {
                // The parser's own message quotes the input, password included: name only the spot.
                throw new IllegalArgumentException("must be a URL " + URL_SHAPE + " (was not one: " + e.getReason()
                        + " at index " + e.getIndex() + ")");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme();
            if (!scheme.equals("redis") && !scheme.equals("rediss")) {
                throw invalid("must start with redis:// or rediss://", url, uri);
            }
            String host = uri.getHost();
            if (host == null || host.isEmpty()) {
                throw invalid("must name a host", url, uri);
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1); // IPv6 literal: the socket wants it bare
            }
            int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
            if (port == 0) {
                throw invalid("must have a port between 1 and 65535", url, uri);
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw invalid("must not have query parameters or a fragment", url, uri);
            }
            int database = database(uri, url);
            String user = null;
            String password = null;
            String userInfo = uri.getRawUserInfo();
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                if (colon < 0) {
                    throw invalid("must give credentials as user:password@ or :password@", url, uri);
                }
                user = colon == 0 ? null : decode(userInfo.substring(0, colon));
                password = decode(userInfo.substring(colon + 1));
                if (password.isEmpty()) {
                    throw invalid("must not have an empty password", url, uri);
                }
            }
            return new Server(host, port, scheme.equals("rediss"), database, user, password);
        }

        private static int database(URI uri, String url) {
            String path = uri.getRawPath();
            if (path == null || path.isEmpty() || path.equals("/")) {
                return 0;
            }
            String db = path.substring(1);
            if (!db.matches("\\d{1,9}")) {
                throw invalid("must have a database number as its path, such as /0", url, uri);
            }
            return Integer.parseInt(db);
        }

        private static String decode(String text) {
            // URLDecoder would turn '+' into a space; in a URL's user info '+' is a plain '+'.
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        }

        /**
         * The problem, showing the URL with its credentials masked: the user info the parser found or,
         * when it found no host, the whole authority (a password holding '/', '?' or '@' unencoded).
         */
        private static IllegalArgumentException invalid(String rule, String url, URI uri) {
            String credentials = uri.getHost() == null ? uri.getRawAuthority() : uri.getRawUserInfo();
            String shown = Redaction.scrub(url, credentials == null ? List.of() : List.of(credentials));
            return new IllegalArgumentException(rule + " (" + URL_SHAPE + ") (was \"" + shown + "\")");
        }
    }
}
