package dev.outbox.sample.orders;

/** One line of an order: {@code quantity} units of the product {@code sku}. */
public record OrderLine(String sku, int quantity) {
}
