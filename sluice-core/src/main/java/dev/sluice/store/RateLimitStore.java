package dev.sluice.store;

import dev.sluice.Policy;
import dev.sluice.TimeSource;
import java.util.Optional;

/**
 * Storage for the per-key state of rate limits, in this process ({@link InMemoryStore}) or in a
 * shared server. A store decides each request atomically, so that concurrent callers never
 * admit more than the limits allow.
 */
public interface RateLimitStore extends AutoCloseable {

  /**
   * Prepares the store to decide requests under a policy.
   *
   * <p>Binding a policy of the same name again, for example after a config reload, keeps the
   * state of its keys when its limits have the same names and algorithms in the same order, so
   * that new numbers apply at once and an identical reload resets nothing. A limit with its
   * default name (such as {@code 100/1m}, which changes with the numbers) is matched by position
   * instead of by name. Otherwise the keys of that policy start afresh.
   */
  PolicyBinding bind(Policy policy);

  /**
   * Returns the time source that the store's decisions read, when they read one of this
   * process, so that a {@link dev.sluice.RateLimiter} waits on the same clock; empty for a
   * store that reads a clock elsewhere, such as a Redis server's. This default is empty.
   */
  default Optional<TimeSource> decisionTimeSource() {
    return Optional.empty();
  }

  /**
   * Releases the store's connections and threads. Bindings must not be used afterwards. This
   * default does nothing, for stores that hold no such resources.
   */
  @Override
  default void close() {}
}
