package dev.outbox.relay.sidecar;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may act in the console: without a configured token nobody (read-only); with it, a request
 * that carries it as {@code Authorization: Bearer …}, or a browser session opened by presenting it
 * once ({@link #login}) whose requests also carry the session's CSRF token in a header and come
 * from the console's own origin. Tokens are compared in constant time (on their SHA-256, so the
 * length does not leak either); sessions live in memory only and end with the process.
 */
final class ConsoleAuth {
    static final String COOKIE = "outbox_console";
    static final String CSRF_HEADER = "x-csrf-token";
    static final Duration SESSION_LIFETIME = Duration.ofHours(12);
    /** Bounds the memory a client can take by logging in again and again. */
    static final int MAX_SESSIONS = 100;

    /** A signed-in browser; {@code csrf} is handed to the page, the id only to the cookie. */
    record Session(String id, String csrf, Instant expires) {
        /**
         * Names the session in logs: a digest of the id, since any part of the id itself is a
         * part of a credential.
         */
        String label() {
            return java.util.HexFormat.of().formatHex(sha256(id), 0, 4);
        }
    }

    /** The result of checking an action: {@code null} problem means allowed. */
    record Decision(String problem, int status, String who) {
        static Decision allowed(String who) {
            return new Decision(null, 200, who);
        }

        static Decision refused(int status, String problem) {
            return new Decision(problem, status, null);
        }
    }

    private final byte[] tokenDigest;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    /** @param token the configured token, or {@code null} for a read-only console */
    ConsoleAuth(String token, Clock clock) {
        this.tokenDigest = token == null ? null : sha256(token);
        this.clock = clock;
    }

    boolean actionsEnabled() {
        return tokenDigest != null;
    }

    /** A new session when {@code presented} is the token, else {@code null}. */
    Session login(String presented) {
        if (!matches(presented)) {
            return null;
        }
        Instant now = clock.instant();
        sessions.values().removeIf(s -> s.expires().isBefore(now));
        if (sessions.size() >= MAX_SESSIONS) {
            Iterator<String> oldest = sessions.values().stream().sorted((a, b) -> a.expires().compareTo(b.expires()))
                    .map(Session::id).iterator();
            sessions.remove(oldest.next());
        }
        Session s = new Session(randomId(), randomId(), now.plus(SESSION_LIFETIME));
        sessions.put(s.id(), s);
        return s;
    }

    void logout(ProbeServer.Request request) {
        String id = cookie(request);
        if (id != null) {
            sessions.remove(id);
        }
    }

    /** The session of the request's cookie, or {@code null}. */
    Session session(ProbeServer.Request request) {
        String id = cookie(request);
        if (id == null) {
            return null;
        }
        Session s = sessions.get(id);
        if (s == null || s.expires().isBefore(clock.instant())) {
            return null;
        }
        return s;
    }

    /** Whether {@code request} may change something; the refusal says what is missing, never the token. */
    Decision authorize(ProbeServer.Request request) {
        if (!actionsEnabled()) {
            return Decision.refused(403, "the console is read-only: set " + SidecarConfig.CONSOLE_TOKEN.env()
                    + " to enable actions");
        }
        String authorization = request.header("authorization");
        if (authorization != null) {
            // A browser never adds this header by itself, so a bearer request needs no CSRF check.
            if (authorization.regionMatches(true, 0, "Bearer ", 0, 7) && matches(authorization.substring(7).trim())) {
                return Decision.allowed("bearer token");
            }
            return Decision.refused(401, "the bearer token is not the console's token");
        }
        Session s = session(request);
        if (s == null) {
            return Decision.refused(401, "sign in with the console's token (or send it as a bearer token)");
        }
        String origin = originProblem(request);
        if (origin != null) {
            return Decision.refused(403, origin);
        }
        String csrf = request.header(CSRF_HEADER);
        if (csrf == null || !MessageDigest.isEqual(csrf.getBytes(StandardCharsets.UTF_8),
                s.csrf().getBytes(StandardCharsets.UTF_8))) {
            return Decision.refused(403, "the request lacks the session's X-CSRF-Token header");
        }
        return Decision.allowed("session " + s.label());
    }

    /**
     * {@code null} when the request comes from a page of this server: its {@code Origin} (or, without
     * one, its {@code Referer}) names the host the request was sent to. Without either it is refused:
     * browsers send {@code Origin} on every POST made by a script.
     */
    static String originProblem(ProbeServer.Request request) {
        String host = request.header("host");
        String origin = request.header("origin");
        if (origin == null) {
            String referer = request.header("referer");
            if (referer != null) {
                int start = referer.indexOf("://");
                int end = start < 0 ? -1 : referer.indexOf('/', start + 3);
                origin = end < 0 ? referer : referer.substring(0, end);
            }
        }
        if (host == null || origin == null) {
            return "the request names no Origin: actions are accepted only from the console's own page";
        }
        if (!origin.equals("http://" + host) && !origin.equals("https://" + host)) {
            return "the request comes from another origin: actions are accepted only from the console's own page";
        }
        return null;
    }

    private boolean matches(String presented) {
        return tokenDigest != null && presented != null && MessageDigest.isEqual(tokenDigest, sha256(presented));
    }

    private static String cookie(ProbeServer.Request request) {
        String header = request.header("cookie");
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            String p = part.trim();
            if (p.startsWith(COOKIE + "=")) {
                return p.substring(COOKIE.length() + 1);
            }
        }
        return null;
    }

    private String randomId() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
