package dev.outbox.relay.transport.http;

import java.util.Base64;
import java.util.List;
import java.util.StringJoiner;

/**
 * Computes the Standard Webhooks {@code webhook-signature} header: one {@code v1,<base64>} entry
 * per secret, so receivers that know either the old or the new secret accept the request while
 * secrets rotate. Holds key bytes: never log or print it.
 */
final class WebhookSigner {
    private final List<byte[]> keys;

    /** @param keys decoded secrets (the bytes after {@code whsec_}), at least one */
    WebhookSigner(List<byte[]> keys) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("at least one key is needed");
        }
        this.keys = keys.stream().map(byte[]::clone).toList();
    }

    /** The {@code webhook-signature} value for a message {@code id}, sent at {@code timestamp} (Unix seconds). */
    String sign(String id, long timestamp, byte[] body) {
        StringJoiner header = new StringJoiner(" ");
        for (byte[] key : keys) {
            header.add("v1," + Base64.getEncoder().encodeToString(WebhookVerifier.hmac(key, id, timestamp, body)));
        }
        return header.toString();
    }

    @Override
    public String toString() {
        return "WebhookSigner[" + keys.size() + " key(s)]";
    }
}
