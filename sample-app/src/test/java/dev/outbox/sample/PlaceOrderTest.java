package dev.outbox.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.sample.orders.OrderLine;
import dev.outbox.sample.orders.OrderRejectedException;
import dev.outbox.sample.orders.PlaceOrder;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class PlaceOrderTest {
    private static JsonObject json(String text) {
        return Json.createReader(new StringReader(text.replace('\'', '"'))).readObject();
    }

    @Test
    void readsAValidOrder() {
        PlaceOrder order = PlaceOrder.fromJson(json("{'customer': 'alice', 'email': 'alice@example.com',"
                + " 'lines': [{'sku': 'A-1', 'quantity': 2}]}"));
        assertThat(order.lines()).containsExactly(new OrderLine("A-1", 2));
    }

    @Test
    void rejectsWithTheFieldTheRuleAndTheValue() {
        assertThatThrownBy(() -> PlaceOrder.fromJson(json("{'email': 'a@b.c', 'lines': []}")))
                .isInstanceOf(OrderRejectedException.class).hasMessage("customer is required and must be a non-blank string (was null)");
        assertThatThrownBy(() -> PlaceOrder.fromJson(json("{'customer': 'a', 'email': 'a@b.c',"
                + " 'lines': [{'sku': 'A-1', 'quantity': 0}]}")))
                .hasMessage("lines[0].quantity must be a whole number from 1 to 100 (was 0)");
        assertThatThrownBy(() -> PlaceOrder.fromJson(json("{'customer': 'a', 'email': 'a@b.c',"
                + " 'lines': [{'sku': 'A-1', 'quantity': 1}, {'sku': 'A-1', 'quantity': 1}]}")))
                .hasMessage("lines[1].sku A-1 appears twice: one line per SKU");
        assertThatThrownBy(() -> PlaceOrder.fromJson(json("{'customer': 'a', 'email': 'nope', 'lines': []}")))
                .satisfies(e -> assertThat(((OrderRejectedException) e).httpStatus()).isEqualTo(400));
    }
}
