package dev.outbox.relay.transport;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.config.ConfigValues;
import dev.outbox.relay.config.Redaction;
import dev.outbox.relay.config.Setting;
import dev.outbox.relay.spi.OutboxMessage;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
    /** Routes of events to destinations; declared once, shared by every transport. */
    public static final Setting<String> ROUTES = Setting.text("routes", "OUTBOX_ROUTES")
            .check(Router::routesProblem).shownType("Type=dest[,Type/EventType=dest…]")
            .description("Event → destination: comma-separated `AggregateType=destination` or"
                    + " `AggregateType/EventType=destination` pairs; the latter wins.").build();
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z]+)}");
    private static final Pattern SELECTOR = Pattern.compile("[^=,/\\s]+(/[^=,/\\s]+)?");

    private final Map<String, String> routes;
    private final String defaultTemplate;

    private Router(Map<String, String> routes, String defaultTemplate) {
        this.routes = Map.copyOf(routes);
        this.defaultTemplate = defaultTemplate;
    }

    /**
     * The default route of a transport ({@code OUTBOX_ROUTE_DEFAULT}): the template for events
     * without a route, where {@code ${aggregatetype}} and {@code ${type}} are replaced; empty for none.
     *
     * @param defaultTemplate this transport's default, e.g. {@code ${aggregatetype}}
     */
    public static Setting<String> routeDefault(String defaultTemplate) {
        return template("routeDefault", "OUTBOX_ROUTE_DEFAULT", defaultTemplate,
                "Destination of events without a route; `${aggregatetype}` and `${type}` are replaced. Empty for none.");
    }

    /** A destination template setting: checked for its placeholders. */
    public static Setting<String> template(String property, String env, String defaultTemplate, String description) {
        return Setting.text(property, env).defaultValue(defaultTemplate).check(Router::templateProblem)
                .description(description).build();
    }

    /** The router of a transport's validated values. */
    public static Router of(ConfigValues values, Setting<String> routeDefault) {
        return of(values.get(ROUTES), values.get(routeDefault));
    }

    /**
     * @param routes the routes as {@link #ROUTES} writes them, or null
     * @param defaultTemplate the default template, or null or blank for none
     * @throws OutboxException naming the setting, the rule and the value on a syntax error
     */
    public static Router of(String routes, String defaultTemplate) {
        String problem = routes == null ? null : routesProblem(routes);
        if (problem == null && defaultTemplate != null) {
            problem = templateProblem(defaultTemplate);
        }
        if (problem != null) {
            throw new OutboxException((routes != null && routesProblem(routes) != null ? ROUTES.env() : "OUTBOX_ROUTE_DEFAULT")
                    + " " + problem);
        }
        Map<String, String> parsed = new LinkedHashMap<>();
        if (routes != null && !routes.isBlank()) {
            for (String entry : routes.split(",")) {
                String pair = entry.strip();
                int eq = pair.indexOf('=');
                parsed.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
            }
        }
        String template = defaultTemplate == null || defaultTemplate.isBlank() ? null : defaultTemplate.strip();
        return new Router(parsed, template);
    }

    /** What is wrong with a routes value (without the key), or {@code null}. */
    static String routesProblem(String routes) {
        if (routes.isBlank()) {
            return null;
        }
        Set<String> selectors = new HashSet<>();
        for (String entry : routes.split(",")) {
            String pair = entry.strip();
            int eq = pair.indexOf('=');
            String selector = eq < 0 ? "" : pair.substring(0, eq).strip();
            String destination = eq < 0 ? "" : pair.substring(eq + 1).strip();
            if (!SELECTOR.matcher(selector).matches() || destination.isEmpty()) {
                return "must be comma-separated AggregateType=destination or AggregateType/EventType=destination pairs"
                        + " (was \"" + Redaction.urls(pair) + "\" in \"" + Redaction.urls(routes) + "\")";
            }
            String problem = templateProblem(destination);
            if (problem != null) {
                return problem;
            }
            if (!selectors.add(selector)) {
                return "routes " + selector + " twice (was \"" + Redaction.urls(routes) + "\")";
            }
        }
        return null;
    }

    /**
     * The destination of an event, or {@code null} if no route matches and there is no default:
     * for naming it (a trace's {@code messaging.destination.name}), where sending it would refuse it.
     */
    public String destinationIfRoutable(OutboxMessage m) {
        try {
            return destination(m);
        } catch (OutboxException e) {
            return null;
        }
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
                    + ": add it to " + ROUTES.env() + " or set OUTBOX_ROUTE_DEFAULT");
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

    /** What is wrong with a destination template (without the key), or {@code null}. */
    static String templateProblem(String template) {
        Matcher p = PLACEHOLDER.matcher(template);
        while (p.find()) {
            if (!p.group(1).equals("aggregatetype") && !p.group(1).equals("type")) {
                return "may only use ${aggregatetype} and ${type} (was \"" + Redaction.urls(template) + "\")";
            }
        }
        if (template.replaceAll("\\$\\{[a-z]+}", "").contains("${")) {
            return "has an unclosed ${…} (was \"" + Redaction.urls(template) + "\")";
        }
        return null;
    }
}
