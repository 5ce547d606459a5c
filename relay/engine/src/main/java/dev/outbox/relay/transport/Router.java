package dev.outbox.relay.transport;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.OutboxMessage;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps an event to its destination (a topic, exchange, subject, stream or URL) from
 * configuration, so that applications know nothing about transports.
 *
 * <p>Routes ({@code OUTBOX_ROUTES}) are comma-separated {@code selector=destination} pairs; a
 * selector is an aggregate type ({@code Order}) or an aggregate type and event type
 * ({@code Order/OrderCancelled}), which wins over the former. Events without a route go to the
 * default template ({@code OUTBOX_ROUTE_DEFAULT}), where {@code ${aggregatetype}} and
 * {@code ${type}} are replaced by the event's values. Example:
 * <pre>OUTBOX_ROUTES=Order=orders,Order/OrderCancelled=order-cancellations,Customer=customers
 * OUTBOX_ROUTE_DEFAULT=events.${aggregatetype}</pre>
 * Messages quote destinations without the query and user info of URLs ({@link Redaction#urls}).
 */
public final class Router {
    public static final String ROUTES_KEY = "OUTBOX_ROUTES";
    public static final String DEFAULT_KEY = "OUTBOX_ROUTE_DEFAULT";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z]+)}");
    private static final Pattern SELECTOR = Pattern.compile("[^=,/\\s]+(/[^=,/\\s]+)?");

    private final Map<String, String> routes;
    private final String defaultTemplate;

    private Router(Map<String, String> routes, String defaultTemplate) {
        this.routes = Map.copyOf(routes);
        this.defaultTemplate = defaultTemplate;
    }

    /**
     * @param routes the {@code OUTBOX_ROUTES} value, or null
     * @param defaultTemplate the {@code OUTBOX_ROUTE_DEFAULT} value, or null for none
     * @throws OutboxException naming the key, the rule and the value on a syntax error
     */
    public static Router parse(String routes, String defaultTemplate) {
        Map<String, String> parsed = new LinkedHashMap<>();
        if (routes != null && !routes.isBlank()) {
            for (String entry : routes.split(",")) {
                String pair = entry.strip();
                int eq = pair.indexOf('=');
                String selector = eq < 0 ? "" : pair.substring(0, eq).strip();
                String destination = eq < 0 ? "" : pair.substring(eq + 1).strip();
                if (!SELECTOR.matcher(selector).matches() || destination.isEmpty()) {
                    throw new OutboxException(ROUTES_KEY + " must be comma-separated AggregateType=destination or"
                            + " AggregateType/EventType=destination pairs (was \"" + Redaction.urls(pair) + "\" in \""
                            + Redaction.urls(routes) + "\")");
                }
                checkPlaceholders(ROUTES_KEY, destination);
                if (parsed.put(selector, destination) != null) {
                    throw new OutboxException(ROUTES_KEY + " routes " + selector + " twice (was \"" + Redaction.urls(routes)
                            + "\")");
                }
            }
        }
        String template = defaultTemplate == null || defaultTemplate.isBlank() ? null : defaultTemplate.strip();
        if (template != null) {
            checkPlaceholders(DEFAULT_KEY, template);
        }
        return new Router(parsed, template);
    }

    /**
     * The destination of an event.
     *
     * @throws OutboxException if no route matches and there is no default (a configuration error
     *         the relay reports as a non-retryable failure of that event)
     */
    public String destination(OutboxMessage m) {
        String destination = routes.get(m.aggregateType() + "/" + m.type());
        if (destination == null) {
            destination = routes.get(m.aggregateType());
        }
        if (destination == null) {
            destination = defaultTemplate;
        }
        if (destination == null) {
            throw new OutboxException("no route for aggregate type " + m.aggregateType() + " and type " + m.type()
                    + ": add it to " + ROUTES_KEY + " or set " + DEFAULT_KEY);
        }
        return expand(destination, m);
    }

    private static String expand(String template, OutboxMessage m) {
        if (template.indexOf('$') < 0) {
            return template;
        }
        Matcher p = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (p.find()) {
            p.appendReplacement(out, Matcher.quoteReplacement(
                    p.group(1).equals("aggregatetype") ? m.aggregateType() : m.type()));
        }
        p.appendTail(out);
        return out.toString();
    }

    private static void checkPlaceholders(String key, String template) {
        Matcher p = PLACEHOLDER.matcher(template);
        while (p.find()) {
            if (!p.group(1).equals("aggregatetype") && !p.group(1).equals("type")) {
                throw new OutboxException(key + " may only use ${aggregatetype} and ${type} (was \""
                        + Redaction.urls(template) + "\")");
            }
        }
        if (template.replaceAll("\\$\\{[a-z]+}", "").contains("${")) {
            throw new OutboxException(key + " has an unclosed ${…} (was \"" + Redaction.urls(template) + "\")");
        }
    }
}
