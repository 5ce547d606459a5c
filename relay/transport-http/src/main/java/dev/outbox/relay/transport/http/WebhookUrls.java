package dev.outbox.relay.transport.http;

import dev.outbox.relay.config.Redaction;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** What a destination URL must be, and how it appears in messages. */
final class WebhookUrls {
    private WebhookUrls() {
    }

    /**
     * Why {@code url} cannot be a destination, as "must … (was …)", or {@code null} if it can. The
     * value is quoted without its query and user info (they may carry a token).
     */
    static String problem(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "must be an absolute http:// or https:// URL (was \"" + Redaction.urls(url) + "\": " + e.getReason() + ")";
        }
        if (uri.getRawUserInfo() != null) {
            // Not echoed: the user info is a credential.
            return "must not contain user:password@; put an Authorization header in "
                    + WebhookSettings.HEADERS.env() + " instead (value not shown)";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            return "must be an absolute http:// or https:// URL with a host (was \"" + Redaction.urls(url) + "\")";
        }
        if (uri.getRawFragment() != null) {
            return "must not have a #fragment (was \"" + Redaction.urls(url) + "\")";
        }
        return null;
    }

    /** The URL for logs and errors: its query (it may carry a token) masked. */
    static String display(URI uri) {
        return Redaction.urls(uri.toString());
    }
}
