package dev.outbox.sample.demo;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The demo's client, run by {@code scripts/demo} while the app and the relay run:
 * {@code orders <api url> <jdbc url>} places and cancels a few orders over HTTP and waits after
 * each until both consumers processed its event; {@code summary <jdbc url>} prints the end state.
 * Exits 1 with the reason when something does not happen in time.
 */
public final class Demo {
    /** Events written: queued or dead in outbox.event, published in outbox.event_history (one snapshot). */
    private static final String EVENTS_WRITTEN = "SELECT (SELECT count(*) FROM outbox.event)"
            + " + (SELECT count(*) FROM outbox.event_history)";

    private static final long WAIT_MILLIS = 20_000;

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("orders")) {
            try (Connection db = DriverManager.getConnection(args[2])) {
                orders(new OrderClient(URI.create(args[1])), db);
            }
        } else if (args.length == 2 && args[0].equals("summary")) {
            try (Connection db = DriverManager.getConnection(args[1])) {
                summary(db);
            }
        } else {
            System.err.println("usage: Demo orders <api url> <jdbc url> | Demo summary <jdbc url>");
            System.exit(2);
        }
    }

    private static void orders(OrderClient api, Connection db) throws Exception {
        UUID alice = place(api, db, "alice", line("A-1", 2), line("B-2", 1));
        place(api, db, "bob", line("C-3", 1));
        place(api, db, "carol", line("B-2", 4)); // only 2 moka pots are left: backordered
        say("http", "POST /orders with email \"dave-at-example\" → " + show(api.place(order("dave", "dave-at-example", line("A-1", 1)))));
        long before = count(db, EVENTS_WRITTEN);
        OrderClient.Response unknown = api.place(order("erin", "erin@example.com", line("A-1", 1), line("Z-9", 1)));
        say("http", "POST /orders with sku Z-9 → " + show(unknown) + "; rolled back at commit: outbox events "
                + before + " → " + count(db, EVENTS_WRITTEN));
        OrderClient.Response cancel = api.cancel(alice);
        say("http", "POST /orders/" + brief(alice) + "/cancel → " + cancel.status() + " v" + cancel.body().getInt("version")
                + ", event " + brief(cancel.body().getString("event")) + " OrderCancelled");
        awaitConsumers(db, UUID.fromString(cancel.body().getString("event")));
        say("http", "POST /orders/" + brief(alice) + "/cancel again → " + show(api.cancel(alice)));
    }

    private static UUID place(OrderClient api, Connection db, String customer, JsonObject... lines) throws Exception {
        OrderClient.Response r = api.place(order(customer, customer + "@example.com", lines));
        if (r.status() != 201) {
            throw new IllegalStateException("placing " + customer + "'s order answered " + r.status() + " " + r.body());
        }
        UUID id = UUID.fromString(r.body().getString("id"));
        say("http", "POST /orders " + customer + " → 201 order " + brief(id) + " placed (v1), event "
                + brief(r.body().getString("event")) + " OrderPlaced");
        awaitConsumers(db, UUID.fromString(r.body().getString("event")));
        return id;
    }

    /** Waits until both consumers have the event in their inbox (the relay forwarded it, they committed). */
    private static void awaitConsumers(Connection db, UUID event) throws Exception {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        try (PreparedStatement s = db.prepareStatement("SELECT count(*) FROM outbox.inbox WHERE event_id = ?")) {
            s.setObject(1, event);
            while (true) {
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    if (r.getInt(1) >= 2) {
                        return;
                    }
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("event " + event + " did not reach both consumers within "
                            + WAIT_MILLIS / 1000 + " s: is the relay running? (see its log)");
                }
                Thread.sleep(50);
            }
        }
    }

    private static void summary(Connection db) throws SQLException {
        StringBuilder stock = new StringBuilder();
        try (Statement s = db.createStatement();
             ResultSet r = s.executeQuery("SELECT sku, available, reserved FROM sample.stock ORDER BY sku")) {
            while (r.next()) {
                stock.append(String.format("%s %d free/%d reserved  ", r.getString(1), r.getInt(2), r.getInt(3)));
            }
        }
        say("summary", "stock: " + stock.toString().strip());
        say("summary", "events written " + count(db, EVENTS_WRITTEN) + ", processed by inventory "
                + count(db, "SELECT count(*) FROM outbox.inbox WHERE consumer = 'inventory'") + ", by notifications "
                + count(db, "SELECT count(*) FROM outbox.inbox WHERE consumer = 'notifications'") + ", emails sent "
                + count(db, "SELECT count(*) FROM sample.sent_emails"));
    }

    private static long count(Connection db, String sql) throws SQLException {
        try (Statement s = db.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getLong(1);
        }
    }

    private static JsonObject order(String customer, String email, JsonObject... lines) {
        JsonArrayBuilder array = Json.createArrayBuilder();
        for (JsonObject line : lines) {
            array.add(line);
        }
        return Json.createObjectBuilder().add("customer", customer).add("email", email).add("lines", array).build();
    }

    private static JsonObject line(String sku, int quantity) {
        return Json.createObjectBuilder().add("sku", sku).add("quantity", quantity).build();
    }

    private static String show(OrderClient.Response r) {
        return r.status() + " " + (r.body().containsKey("error") ? r.body().getString("error") : r.body().toString());
    }

    /** Orders by their first 8 hex digits; events (UUIDv7, whose head is the time) also by their last 4. */
    private static String brief(Object id) {
        String s = id.toString();
        return s.substring(0, 8) + (s.charAt(14) == '7' ? "…" + s.substring(s.length() - 4) : "");
    }

    private static void say(String who, String message) {
        System.out.println(String.format("%-13s %s", who, message));
    }
}
