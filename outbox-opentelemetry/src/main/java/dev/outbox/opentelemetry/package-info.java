/**
 * OpenTelemetry for the outbox writer: {@link dev.outbox.opentelemetry.TraceContextHeaders}
 * stores the current span's W3C trace context in appended events. On the class path it is found
 * by {@link dev.outbox.core.Outbox} without any code.
 */
package dev.outbox.opentelemetry;
