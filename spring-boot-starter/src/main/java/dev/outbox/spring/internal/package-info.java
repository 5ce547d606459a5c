/**
 * Unsupported: how the starter reads {@code outbox.*} properties. May change in any release;
 * configure through the properties (listed in the configuration metadata and the README).
 */
package dev.outbox.spring.internal;
