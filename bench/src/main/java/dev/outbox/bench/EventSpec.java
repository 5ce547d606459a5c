package dev.outbox.bench;

/**
 * The events a scenario writes: {@code count} events of aggregate type {@code Order}, type
 * {@code OrderPlaced}, spread round-robin over {@code keys} aggregate ids ({@code order-0} …), each
 * with a payload of about 250 bytes (an order with two lines) and two headers, a W3C
 * {@code traceparent} and a {@code correlationid}: what a typical service writes.
 *
 * @param count events
 * @param keys distinct ordering keys (aggregate ids)
 */
public record EventSpec(int count, int keys) {

    public EventSpec {
        if (count < 1 || keys < 1) {
            throw new IllegalArgumentException("count and keys must be >= 1 (was " + count + ", " + keys + ")");
        }
    }

    /** The rows as one {@code INSERT … SELECT} over {@code generate_series}; {@code g} is the event's number. */
    String insertSql() {
        return "INSERT INTO outbox.event (aggregatetype, aggregateid, type, payload, headers)"
                + " SELECT 'Order', 'order-' || (g % " + keys + "), 'OrderPlaced',"
                + " jsonb_build_object('orderId', g, 'customer', 'customer-' || (g % 977), 'currency', 'EUR',"
                + "   'total', round(g * 1.37 % 1000, 2), 'placedBy', 'web-shop',"
                + "   'lines', jsonb_build_array("
                + "     jsonb_build_object('sku', 'SKU-' || (g % 50), 'quantity', 1 + g % 3, 'price', 19.99),"
                + "     jsonb_build_object('sku', 'SKU-' || (g % 37 + 100), 'quantity', 1, 'price', 5.25))),"
                + " jsonb_build_object('traceparent', '00-' || lpad(to_hex(g), 32, '0') || '-' || lpad(to_hex(g), 16, '0')"
                + "   || '-01', 'correlationid', 'req-' || g)"
                + " FROM generate_series(1, " + count + ") g";
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%,d events over %,d key%s", count, keys, keys == 1 ? "" : "s");
    }
}
