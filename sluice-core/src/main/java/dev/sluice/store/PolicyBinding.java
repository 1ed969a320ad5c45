package dev.sluice.store;

import dev.sluice.Decision;
import dev.sluice.Policy;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A policy bound to a store: decides requests for any key under that policy. */
public interface PolicyBinding {

  /** The policy this binding applies. */
  Policy policy();

  /**
   * Decides a request of {@code cost} units for {@code key}, and charges it to every limit of
   * the policy when admitted. A cost of 0 only reports the state and changes nothing. It is
   * denied while the key is above a limit, as a rebinding to a lower limit can leave it, or when
   * a shaping limit would delay it longer than {@code maxDelayNanos}.
   *
   * @param maxDelayNanos the longest delay the caller will wait; a shaping limit denies, without
   *     charging, a request that would have to wait longer ({@link Long#MAX_VALUE} for no bound)
   * @throws IllegalArgumentException if cost or maxDelayNanos is negative
   */
  Decision tryAcquire(String key, long cost, long maxDelayNanos);

  /**
   * Decides and charges like {@link #tryAcquire} with no bound on the delay, but returns only
   * whether the request was admitted. A store may answer it without building a
   * {@link Decision}, so that a denial allocates nothing.
   *
   * @throws IllegalArgumentException if cost is negative
   */
  default boolean tryAcquireAllowed(String key, long cost) {
    return tryAcquire(key, cost, Long.MAX_VALUE).allowed();
  }

  /**
   * Decides like {@link #tryAcquire} without blocking the calling thread on a remote store.
   * This default decides on the calling thread and returns a completed stage; a store with a
   * server overrides it to wait for the reply without a thread.
   *
   * @throws IllegalArgumentException if cost or maxDelayNanos is negative, at once rather than
   *     through the stage
   */
  default CompletionStage<Decision> tryAcquireAsync(String key, long cost, long maxDelayNanos) {
    return CompletableFuture.completedFuture(tryAcquire(key, cost, maxDelayNanos));
  }

  /**
   * Rejects the arguments every binding must reject: a null key, a negative cost or a negative
   * maximum delay. Stores call it first, so that they all fail the same way on misuse.
   *
   * @throws IllegalArgumentException naming the bad value
   */
  static void requireValidRequest(String key, long cost, long maxDelayNanos) {
    Objects.requireNonNull(key, "key");
    if (cost < 0) {
      throw new IllegalArgumentException("cost must be at least 0, got " + cost);
    }
    if (maxDelayNanos < 0) {
      throw new IllegalArgumentException("maxDelayNanos must be at least 0, got " + maxDelayNanos);
    }
  }
}
