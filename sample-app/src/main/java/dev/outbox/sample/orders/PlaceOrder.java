package dev.outbox.sample.orders;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A validated request to place an order. {@link #fromJson} is called by {@link OrderApi} with the
 * request body; it throws {@link OrderRejectedException} (400) naming the field, the rule and the
 * value, before anything is written.
 *
 * @param customer the customer's name
 * @param email where the notifications go
 * @param lines at least one line, each SKU at most once
 */
public record PlaceOrder(String customer, String email, List<OrderLine> lines) {
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");
    private static final Pattern SKU = Pattern.compile("[A-Z0-9-]{1,32}");
    private static final int MAX_LINES = 20;

    public PlaceOrder {
        lines = List.copyOf(lines);
    }

    /** Reads {@code {"customer": "...", "email": "...", "lines": [{"sku": "A-1", "quantity": 2}]}}. */
    public static PlaceOrder fromJson(JsonObject body) {
        String customer = text(body, "customer");
        if (customer.length() > 100) {
            throw OrderRejectedException.invalid("customer must be at most 100 characters (was " + customer.length() + ")");
        }
        String email = text(body, "email");
        if (!EMAIL.matcher(email).matches() || email.length() > 254) {
            throw OrderRejectedException.invalid("email must look like name@example.com (was \"" + email + "\")");
        }
        JsonValue linesValue = body.get("lines");
        if (!(linesValue instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_LINES) {
            throw OrderRejectedException.invalid("lines must be an array of 1 to " + MAX_LINES + " lines (was " + linesValue + ")");
        }
        List<OrderLine> lines = new ArrayList<>();
        Set<String> skus = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.get(i) instanceof JsonObject line)) {
                throw OrderRejectedException.invalid("lines[" + i + "] must be an object (was " + array.get(i) + ")");
            }
            String sku = text(line, "sku", "lines[" + i + "].sku");
            if (!SKU.matcher(sku).matches()) {
                throw OrderRejectedException.invalid("lines[" + i + "].sku must be 1 to 32 of A-Z, 0-9, - (was \"" + sku + "\")");
            }
            if (!skus.add(sku)) {
                throw OrderRejectedException.invalid("lines[" + i + "].sku " + sku + " appears twice: one line per SKU");
            }
            JsonValue quantity = line.get("quantity");
            if (!(quantity instanceof JsonNumber n) || !n.isIntegral() || n.longValue() < 1 || n.longValue() > 100) {
                throw OrderRejectedException.invalid("lines[" + i + "].quantity must be a whole number from 1 to 100 (was " + quantity + ")");
            }
            lines.add(new OrderLine(sku, n.intValue()));
        }
        return new PlaceOrder(customer, email, lines);
    }

    private static String text(JsonObject o, String field) {
        return text(o, field, field);
    }

    private static String text(JsonObject o, String field, String path) {
        JsonValue v = o.get(field);
        if (!(v instanceof JsonString s) || s.getString().isBlank()) {
            throw OrderRejectedException.invalid(path + " is required and must be a non-blank string (was " + v + ")");
        }
        return s.getString().strip();
    }
}
