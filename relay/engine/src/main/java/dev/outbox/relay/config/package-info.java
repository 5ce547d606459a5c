/**
 * The declarative configuration model: each key is a {@link dev.outbox.relay.config.Setting}
 * declared once (environment name, property name, type, default, allowed values, secret or not,
 * description), grouped in a {@link dev.outbox.relay.config.ConfigModel} per component. Builders
 * validate with it, {@link dev.outbox.relay.config.ConfigReader} reads the environment with it,
 * {@link dev.outbox.relay.config.Redaction} keeps secrets out of every text, and the sidecar's
 * help and the README's tables are written from it. Transports declare their settings here too.
 */
package dev.outbox.relay.config;
