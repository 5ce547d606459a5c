/**
 * The {@code http} transport: signed webhooks (CloudEvents HTTP binary mode + Standard Webhooks
 * signatures) with the JDK's HttpClient, and {@link dev.outbox.relay.transport.http.WebhookVerifier}
 * for receivers.
 */
package dev.outbox.relay.transport.http;
