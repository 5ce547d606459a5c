package dev.outbox.relay.transport.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks a Standard Webhooks signature on the receiving side: the {@code webhook-id},
 * {@code webhook-timestamp} and {@code webhook-signature} headers the {@code http} transport
 * sends with every request. It depends on nothing but the JDK, so a receiver may copy this one
 * file into its own code base.
 *
 * <p>A request is genuine when any configured secret produces, over
 * {@code <id>.<timestamp>.<body>} with HMAC-SHA256, the signature of any {@code v1,} entry of the
 * header (there are several during a secret rotation), and its timestamp is within the tolerance
 * of the receiver's clock (replay protection). Signatures are compared in constant time.
 *
 * <pre>{@code
 * WebhookVerifier verifier = WebhookVerifier.of(List.of(System.getenv("WEBHOOK_SECRET")));
 * verifier.verify(request.header("webhook-id"), request.header("webhook-timestamp"),
 *         request.header("webhook-signature"), bodyBytes); // throws if not genuine
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe. Verify the raw body bytes as received, before any
 * JSON parsing. Also deduplicate on {@code webhook-id} (= the event id): delivery is at least once.
 */
public final class WebhookVerifier {
    /** The default tolerance between the sender's timestamp and the receiver's clock. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);
    private static final String PREFIX = "whsec_";

    private final List<byte[]> keys;
    private final Duration tolerance;
    private final Clock clock;

    private WebhookVerifier(List<byte[]> keys, Duration tolerance, Clock clock) {
        this.keys = keys;
        this.tolerance = tolerance;
        this.clock = clock;
    }

    /** A verifier with the default tolerance of 5 minutes and the system clock. */
    public static WebhookVerifier of(List<String> secrets) {
        return of(secrets, DEFAULT_TOLERANCE, Clock.systemUTC());
    }

    /**
     * @param secrets one or more secrets, {@code whsec_<base64>} (the prefix is optional); during a
     *        rotation, the old and the new one
     * @param tolerance how far the timestamp may be from {@code clock}, in either direction
     * @throws IllegalArgumentException if there is no secret or one is not base64 (the message
     *         never contains the secret)
     */
    public static WebhookVerifier of(List<String> secrets, Duration tolerance, Clock clock) {
        Objects.requireNonNull(secrets, "secrets");
        Objects.requireNonNull(tolerance, "tolerance");
        Objects.requireNonNull(clock, "clock");
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("secrets must not be empty");
        }
        if (tolerance.isNegative()) {
            throw new IllegalArgumentException("tolerance must not be negative (was " + tolerance + ")");
        }
        List<byte[]> keys = new ArrayList<>(secrets.size());
        for (int i = 0; i < secrets.size(); i++) {
            keys.add(decodeSecret(secrets.get(i), i + 1));
        }
        return new WebhookVerifier(List.copyOf(keys), tolerance, clock);
    }

    /**
     * Accepts the request or throws.
     *
     * @param id the {@code webhook-id} header
     * @param timestamp the {@code webhook-timestamp} header (Unix seconds)
     * @param signatureHeader the {@code webhook-signature} header: space-separated {@code v1,<base64>}
     * @param body the request body exactly as received
     * @throws VerificationException if a header is missing, the timestamp is outside the tolerance
     *         or no signature matches
     */
    public void verify(String id, String timestamp, String signatureHeader, byte[] body) {
        if (id == null || id.isBlank()) {
            throw new VerificationException("missing webhook-id header");
        }
        if (timestamp == null || timestamp.isBlank()) {
            throw new VerificationException("missing webhook-timestamp header");
        }
        if (signatureHeader == null || signatureHeader.isBlank()) {
            throw new VerificationException("missing webhook-signature header");
        }
        Objects.requireNonNull(body, "body");
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            throw new VerificationException("webhook-timestamp must be Unix seconds (was \"" + timestamp + "\")");
        }
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - seconds) > tolerance.toSeconds()) {
            throw new VerificationException("webhook-timestamp " + seconds + " is more than " + tolerance
                    + " away from now (" + now + "): too old, replayed, or a clock is wrong");
        }
        List<byte[]> candidates = new ArrayList<>();
        for (String entry : signatureHeader.trim().split(" +")) {
            if (entry.startsWith("v1,")) {
                try {
                    candidates.add(Base64.getDecoder().decode(entry.substring(3)));
                } catch (IllegalArgumentException notBase64) {
                    // a malformed entry cannot match; others may
                }
            }
        }
        if (candidates.isEmpty()) {
            throw new VerificationException("webhook-signature has no v1,<base64> entry");
        }
        boolean match = false;
        for (byte[] key : keys) {
            byte[] expected = hmac(key, id.trim(), seconds, body);
            for (byte[] candidate : candidates) {
                // Constant-time; no early exit over keys either, so timing tells nothing about which matched.
                match |= MessageDigest.isEqual(expected, candidate);
            }
        }
        if (!match) {
            throw new VerificationException("webhook-signature does not match any configured secret");
        }
    }

    /** HMAC-SHA256 of {@code <id>.<timestamp>.<body>}, the Standard Webhooks {@code v1} scheme. */
    static byte[] hmac(byte[] key, String id, long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    /** The key bytes of {@code whsec_<base64>} (prefix optional); the message never shows the secret. */
    static byte[] decodeSecret(String secret, int position) {
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("secret #" + position + " is empty");
        }
        String text = secret.trim();
        if (text.startsWith(PREFIX)) {
            text = text.substring(PREFIX.length());
        }
        try {
            byte[] key = Base64.getDecoder().decode(text);
            if (key.length == 0) {
                throw new IllegalArgumentException("secret #" + position + " is empty");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("secret #" + position
                    + " must be whsec_ followed by standard base64 (value not shown)");
        }
    }

    /** Thrown by {@link #verify} when a request is not genuine; reject it with 400 or 401. */
    public static final class VerificationException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public VerificationException(String message) {
            super(message);
        }
    }
}
