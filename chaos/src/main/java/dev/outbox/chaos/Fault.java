package dev.outbox.chaos;

/**
 * One injected fault. {@code endMillis} is when the fault was over: the replacement relay was
 * started, the database or broker accepted connections again, the proxy forwarded again, the late
 * transaction committed. For an instantaneous fault (a kill with survivors, pg_terminate_backend)
 * it equals the start.
 */
record Fault(String what, long startMillis, long endMillis) {
}
