package dev.outbox.relay.config;

import java.io.Serial;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one implementation of secret masking: masks the credentials of URLs and of connection
 * parameters in a text, scrubs known secret values, and makes copies of client exceptions whose
 * messages (and causes' messages) are masked, for use as the cause of a
 * {@link dev.outbox.relay.spi.TransportException}, so that a logged stack trace does not print
 * what the message leaves out. Broker clients and the JDBC driver quote their server URLs, user
 * info and parameters included, in their own error texts.
 */
public final class Redaction {
    public static final String MASK = "****";
    /** The user info of a URL: {@code scheme://user:password@} or {@code scheme://token@}. */
    private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^/@\\s,\"'\\[\\]]*@");
    /** The query of a URL, which may carry a token ({@code ?token=…}). */
    private static final Pattern QUERY = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://[^\\s?#\"']*)\\?[^\\s#\"',]*");
    /** {@code password=…} and the like, as a JDBC URL or a connection string carries them. */
    private static final Pattern SECRET_PARAMETER = Pattern.compile(
            "(?i)\\b((?:ssl)?password|passwd|pwd|sslkey|sslpassword)=([^&;\\s]*)");
    /**
     * A password option as JAAS configurations ({@code sasl.jaas.config}) write it: blanks around
     * {@code =}, the value quoted (blanks inside) or not.
     */
    private static final Pattern PASSWORD_OPTION = Pattern.compile(
            "(?i)\\b([A-Za-z_.]*password\\s*=\\s*)(\"[^\"]*\"?|'[^']*'?|[^\"'\\s;]*)");
    /** {@code scheme://userinfo@}, to find the credential it carries. */
    private static final Pattern URL_USERINFO = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://([^/?#@\\s,]*)@");
    /** A query parameter's value of a URL. */
    private static final Pattern URL_QUERY_VALUE = Pattern.compile("[?&;][^=&;#\\s,]*=([^&;#\\s,]*)");
    /** The same, keeping the name: {@code ?token=}. */
    private static final Pattern URL_QUERY_NAME = Pattern.compile("([?&;][^=&;#\\s,]*=)[^&;#\\s,]*");
    /**
     * Shortest credential taken from a URL that is not declared secret: a shorter query value
     * ({@code ?format=json}) is more likely a setting, and masking it everywhere would garble logs.
     */
    static final int MIN_URL_CREDENTIAL = 8;

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

    /**
     * {@code text} with the credentials of its URLs masked but their shape kept, for showing
     * configuration: the password of {@code scheme://user:password@} (a bare token entirely) and
     * the value of every query parameter ({@code ?token=****&format=****}).
     */
    public static String credentials(String text) {
        Matcher userInfo = URL_USERINFO.matcher(text);
        StringBuilder masked = new StringBuilder();
        while (userInfo.find()) {
            String info = userInfo.group(1);
            int colon = info.indexOf(':');
            String shown = colon < 0 ? MASK : info.substring(0, colon + 1) + MASK;
            userInfo.appendReplacement(masked, Matcher.quoteReplacement(
                    text.substring(userInfo.start(), userInfo.start(1)) + shown + "@"));
        }
        userInfo.appendTail(masked);
        if (!masked.toString().contains("://")) {
            return masked.toString();
        }
        return URL_QUERY_NAME.matcher(masked).replaceAll("$1" + Matcher.quoteReplacement(MASK));
    }

    /**
     * A configuration value as {@code describe()} and {@code status} show it: a JDBC URL with its
     * password parameters masked (its other parameters are settings: user, sslmode), any other
     * value with {@link #credentials} masked.
     */
    public static String shown(String value) {
        return value.startsWith("jdbc:") ? parameters(value) : credentials(parameters(value));
    }

    /**
     * {@code url}, one URL as a user wrote it (valid or not), with all between {@code ://} and its
     * last {@code @} masked, and its query: a password may hold an unencoded {@code @}, which ends
     * the user info {@link #userInfo} finds in free text too early.
     */
    public static String url(String url) {
        if (url == null) {
            return null;
        }
        int start = url.indexOf("://");
        int at = url.lastIndexOf('@');
        return urls(start >= 0 && at > start ? url.substring(0, start + 3) + MASK + url.substring(at) : url);
    }

    /** {@code text} with the value of every {@code password=}, {@code sslkey=}… parameter replaced by {@code ****}. */
    public static String parameters(String text) {
        return text == null ? null : SECRET_PARAMETER.matcher(text).replaceAll("$1=" + MASK);
    }

    /**
     * {@code text} with the value of every password option of a JAAS-style configuration
     * ({@code password="…"}, {@code ssl.key.password = …}, quoted or not) replaced by {@code ****}:
     * for client messages that quote a fragment of such a configuration, which scrubbing the
     * configured value as a whole does not catch.
     */
    public static String passwordOptions(String text) {
        return text == null ? null : PASSWORD_OPTION.matcher(text).replaceAll("$1" + MASK);
    }

    /** The values of the {@code password=}, {@code sslkey=}… parameters in {@code text} (a JDBC URL): to scrub them anywhere. */
    public static List<String> parameterValues(String text) {
        List<String> found = new ArrayList<>();
        Matcher m = SECRET_PARAMETER.matcher(text);
        while (m.find()) {
            if (!m.group(2).isEmpty()) {
                found.add(m.group(2));
            }
        }
        return found;
    }

    /**
     * The credentials the URLs in {@code text} carry (a user info's password or token, query
     * values) of at least {@value #MIN_URL_CREDENTIAL} characters: for a value not declared
     * secret that may still hold one (a broker or webhook URL).
     */
    public static List<String> urlCredentials(String text) {
        List<String> found = new ArrayList<>();
        Matcher userInfo = URL_USERINFO.matcher(text);
        while (userInfo.find()) {
            String info = userInfo.group(1);
            found.add(info.substring(info.indexOf(':') + 1));
        }
        if (text.contains("://")) {
            Matcher query = URL_QUERY_VALUE.matcher(text);
            while (query.find()) {
                found.add(query.group(1));
            }
        }
        found.removeIf(c -> c.length() < MIN_URL_CREDENTIAL);
        return found;
    }

    /** {@code text} with every secret of at least 3 characters replaced by {@code ****}, then {@link #urls} masked. */
    public static String scrub(String text, Collection<String> secrets) {
        return urls(values(text, secrets));
    }

    /** {@code text} with every secret value of at least 3 characters replaced by {@code ****}; nothing else changed. */
    public static String values(String text, Collection<String> secrets) {
        if (text == null) {
            return null;
        }
        String result = text;
        for (String secret : secrets) {
            if (secret != null && secret.length() >= 3) {
                result = result.replace(secret, MASK);
            }
        }
        return result;
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
