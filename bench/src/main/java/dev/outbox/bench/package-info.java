/**
 * The benchmark harness behind {@code scripts/bench}: every figure is a ratio of two things
 * measured in the same run, interleaved, so a shared and noisy machine changes both alike.
 * Not a library: nothing here is a supported API.
 */
package dev.outbox.bench;
