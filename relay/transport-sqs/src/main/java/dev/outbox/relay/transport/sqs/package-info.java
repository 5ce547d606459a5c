/**
 * The {@code sqs} transport: every outbox event as one Amazon SQS message ({@code SendMessageBatch}),
 * the payload as the body, CloudEvents attributes as {@code ce-*} message attributes, FIFO queues
 * grouped by the event's key. Entry point: {@link dev.outbox.relay.transport.sqs.SqsTransportFactory};
 * wire format: {@link dev.outbox.relay.transport.sqs.SqsMessages}.
 */
package dev.outbox.relay.transport.sqs;
