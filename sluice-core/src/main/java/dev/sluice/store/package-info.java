/**
 * Storage for the per-key state of limits. {@link dev.sluice.store.RateLimitStore} is the
 * interface every store implements; {@link dev.sluice.store.InMemoryStore} keeps the state in
 * this process with bounded memory.
 */
package dev.sluice.store;
