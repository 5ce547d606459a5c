package dev.outbox.sample.orders;

/**
 * A request the order service refuses, with nothing written. Thrown by {@link OrderService} and
 * {@link PlaceOrder}; {@link OrderApi} answers with {@link #httpStatus()} and the message as JSON.
 */
public final class OrderRejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int httpStatus;

    private OrderRejectedException(int httpStatus, String message) {
        super(message);
        this.httpStatus = httpStatus;
    }

    /** The request breaks a rule (400). */
    public static OrderRejectedException invalid(String message) {
        return new OrderRejectedException(400, message);
    }

    /** No such order (404). */
    public static OrderRejectedException notFound(String message) {
        return new OrderRejectedException(404, message);
    }

    /** The order's state does not allow it (409). */
    public static OrderRejectedException conflict(String message) {
        return new OrderRejectedException(409, message);
    }

    public int httpStatus() {
        return httpStatus;
    }
}
