package dev.outbox.relay.transport;

import java.io.Serial;
import java.util.Collection;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of what transports print: masks the credentials of URLs in a text, and
 * makes copies of client exceptions whose messages (and causes' messages) are masked, for use as
 * the cause of a {@link dev.outbox.relay.spi.TransportException}, so that a logged stack trace
 * does not print what the message leaves out. Broker clients quote their server URLs, user info
 * included, in their own error texts.
 */
public final class Redaction {
    public static final String MASK = "****";
    /** The user info of a URL: {@code scheme://user:password@} or {@code scheme://token@}. */
    private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^/@\\s,\"'\\[\\]]*@");
    /** The query of a URL, which may carry a token ({@code ?token=…}). */
    private static final Pattern QUERY = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://[^\\s?#\"']*)\\?[^\\s#\"',]*");

    private Redaction() {
    }

    /** {@code text} with the user info of every URL replaced by {@code ****@}. */
    public static String userInfo(String text) {
        return text == null ? null : USER_INFO.matcher(text).replaceAll(Matcher.quoteReplacement(MASK + "@"));
    }

    /** {@code text} with the user info and the query of every URL masked. */
    public static String urls(String text) {
        if (text == null) {
            return null;
        }
        String masked = QUERY.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + "?" + MASK));
        return userInfo(masked);
    }

    /** {@code text} with every secret of at least 3 characters replaced by {@code ****}, then {@link #urls} masked. */
    public static String scrub(String text, Collection<String> secrets) {
        if (text == null) {
            return null;
        }
        String result = text;
        for (String secret : secrets) {
            if (secret != null && secret.length() >= 3) {
                result = result.replace(secret, MASK);
            }
        }
        return urls(result);
    }

    /** A scrubber for {@link #copy}: {@link #scrub(String, Collection)} with these secrets. */
    public static UnaryOperator<String> scrubber(Collection<String> secrets) {
        List<String> copy = List.copyOf(secrets);
        return text -> scrub(text, copy);
    }

    /**
     * A copy of {@code e} and its causes whose messages went through {@code scrub}, with the same
     * stack traces; each copy names the original class. {@code null} for {@code null}.
     */
    public static Throwable copy(Throwable e, UnaryOperator<String> scrub) {
        if (e == null) {
            return null;
        }
        Throwable cause = e.getCause() == e ? null : copy(e.getCause(), scrub);
        String message = e.getMessage() == null ? e.getClass().getName()
                : e.getClass().getName() + ": " + scrub.apply(e.getMessage());
        Redacted copy = new Redacted(message, cause);
        copy.setStackTrace(e.getStackTrace());
        return copy;
    }

    /** A client exception with its message scrubbed; its message starts with the original class name. */
    static final class Redacted extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        Redacted(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public String toString() {
            return getMessage(); // already "<original class>: <scrubbed message>"
        }
    }
}
