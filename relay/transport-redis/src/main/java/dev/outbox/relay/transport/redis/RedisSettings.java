package dev.outbox.relay.transport.redis;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.TransportConfig;
import dev.outbox.relay.transport.CloudEvent;
import dev.outbox.relay.transport.Router;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * The validated, immutable configuration of one {@link RedisTransport}, read from the
 * {@code OUTBOX_REDIS_*} keys by {@link #from(TransportConfig)}. {@link #toString()} never shows
 * the password.
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
    static final String URL = "OUTBOX_REDIS_URL";
    static final String KEY_PREFIX = "OUTBOX_REDIS_KEY_PREFIX";
    static final String MAXLEN = "OUTBOX_REDIS_MAXLEN";
    static final String TIMEOUT = "OUTBOX_REDIS_TIMEOUT";
    static final String SOURCE = CloudEvent.SOURCE_KEY;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    static final String DEFAULT_ROUTE = "${aggregatetype}";
    static final int DEFAULT_PORT = 6379;
    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);
    private static final String URL_SHAPE = "redis://[user:password@]host[:port][/db] or rediss://… for TLS";

    RedisSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(router, "router");
        Objects.requireNonNull(source, "source");
    }

    /**
     * Reads and validates the transport's keys.
     *
     * @throws OutboxException naming the key, the rule and the value (with any password masked)
     */
    static RedisSettings from(TransportConfig config) {
        String url = config.get(URL).map(String::strip).orElse("");
        if (url.isEmpty()) {
            throw new OutboxException(URL + " is required (" + URL_SHAPE + ", e.g. redis://127.0.0.1:6379)");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            // The parser's own message quotes the input, password included: leave it out.
            throw new OutboxException(URL + " must be a URL " + URL_SHAPE + " (was \"" + mask(url) + "\")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw invalidUrl("must start with redis:// or rediss://", url);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw invalidUrl("must name a host", url);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1); // IPv6 literal: the socket wants it bare
        }
        int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
        if (port == 0) {
            throw invalidUrl("must have a port between 1 and 65535", url);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw invalidUrl("must not have query parameters or a fragment", url);
        }
        int database = database(uri.getRawPath(), url);
        String user = null;
        String password = null;
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                throw invalidUrl("must give credentials as user:password@ or :password@", url);
            }
            user = colon == 0 ? null : decode(userInfo.substring(0, colon));
            password = decode(userInfo.substring(colon + 1));
            if (password.isEmpty()) {
                throw invalidUrl("must not have an empty password", url);
            }
        }

        String keyPrefix = config.get(KEY_PREFIX, "");
        long maxLen = config.get(MAXLEN).isPresent() ? config.getInt(MAXLEN, 0, 1, Integer.MAX_VALUE) : 0;
        Duration timeout = config.getDuration(TIMEOUT, DEFAULT_TIMEOUT);
        if (timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new OutboxException(TIMEOUT + " must be between 1ms and 10m (was \"" + config.get(TIMEOUT).orElse("")
                    + "\")");
        }
        Router router = Router.parse(config.get(Router.ROUTES_KEY).orElse(null),
                config.get(Router.DEFAULT_KEY, DEFAULT_ROUTE));
        String source = CloudEvent.source(config);
        return new RedisSettings(host, port, scheme.equals("rediss"), database, user, password, keyPrefix, maxLen,
                timeout, router, source);
    }

    /** Where the transport connects, for messages: never the credentials. */
    String address() {
        return (tls ? "rediss://" : "redis://") + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port
                + "/" + database;
    }

    @Override
    public String toString() {
        return "RedisSettings[url=" + address() + ", user=" + user + ", password=" + (password == null ? "none" : "****")
                + ", keyPrefix=" + keyPrefix + ", maxLen=" + maxLen + ", timeout=" + timeout + ", source=" + source + "]";
    }

    /** The URL with the password part of its credentials replaced by {@code ****}. */
    static String mask(String url) {
        int scheme = url.indexOf("://");
        int at = url.lastIndexOf('@');
        if (scheme < 0 || at < scheme) {
            return url;
        }
        int colon = url.indexOf(':', scheme + 3);
        return colon >= 0 && colon < at ? url.substring(0, colon + 1) + "****" + url.substring(at) : url;
    }

    private static int database(String path, String url) {
        if (path == null || path.isEmpty() || path.equals("/")) {
            return 0;
        }
        String db = path.substring(1);
        if (!db.matches("\\d{1,9}")) {
            throw invalidUrl("must have a database number as its path, such as /0", url);
        }
        return Integer.parseInt(db);
    }

    private static String decode(String text) {
        // URLDecoder would turn '+' into a space; in a URL's user info '+' is a plain '+'.
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static OutboxException invalidUrl(String rule, String url) {
        return new OutboxException(URL + " " + rule + " (" + URL_SHAPE + ") (was \"" + mask(url) + "\")");
    }
}
