package dev.outbox.relay.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.core.OutboxException;
import dev.outbox.relay.spi.OutboxMessage;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RouterTest {
    private static OutboxMessage event(String aggregateType, String type) {
        return new OutboxMessage(UUID.randomUUID(), 1, aggregateType, "42", type, "{}", Map.of(), Instant.EPOCH, 1);
    }

    @Test
    void typeRouteWinsOverAggregateRouteWhichWinsOverTheDefault() {
        Router router = Router.of("Order=orders, Order/OrderCancelled=order-cancellations", "events.${aggregatetype}");
        assertThat(router.destination(event("Order", "OrderPlaced"))).isEqualTo("orders");
        assertThat(router.destination(event("Order", "OrderCancelled"))).isEqualTo("order-cancellations");
        assertThat(router.destination(event("Customer", "CustomerMoved"))).isEqualTo("events.Customer");
    }

    @Test
    void defaultTemplateExpandsAggregateTypeAndType() {
        assertThat(Router.of(null, "${aggregatetype}.${type}").destination(event("Order", "OrderPlaced")))
                .isEqualTo("Order.OrderPlaced");
    }

    @Test
    void eventWithoutRouteAndWithoutDefaultIsAClearError() {
        Router router = Router.of("Order=orders", null);
        assertThatThrownBy(() -> router.destination(event("Customer", "CustomerMoved")))
                .isInstanceOf(OutboxException.class)
                .hasMessageContaining("no route for aggregate type Customer")
                .hasMessageContaining("OUTBOX_ROUTES").hasMessageContaining("OUTBOX_ROUTE_DEFAULT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Order", "=orders", "Order=", "Order/A/B=x", "Order=a,Order=b"})
    void rejectsMalformedRoutes(String routes) {
        assertThatThrownBy(() -> Router.of(routes, null))
                .isInstanceOf(OutboxException.class)
                .hasMessageStartingWith("OUTBOX_ROUTES");
    }

    @Test
    void rejectsUnknownPlaceholders() {
        assertThatThrownBy(() -> Router.of(null, "${aggregateid}"))
                .isInstanceOf(OutboxException.class)
                .hasMessage("OUTBOX_ROUTE_DEFAULT may only use ${aggregatetype} and ${type} (was \"${aggregateid}\")");
        assertThatThrownBy(() -> Router.of(null, "x.${type"))
                .isInstanceOf(OutboxException.class).hasMessageContaining("unclosed");
    }
}
