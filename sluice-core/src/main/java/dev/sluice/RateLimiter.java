package dev.sluice;

import dev.sluice.internal.Exact;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import dev.sluice.store.RateLimitStore;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Decides, for each request on a key, whether a policy admits it. Thread-safe.
 *
 * <pre>{@code
 * RateLimiter limiter = RateLimiter.of(
 *     Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1))));
 * Decision decision = limiter.tryAcquire("user-42", 1);
 * if (!decision.allowed()) {
 *   // reject, and tell the client to come back after decision.retryAfterNanos()
 * }
 * }</pre>
 *
 * <p>{@link #tryAcquire} never waits. {@link #acquire} waits, but at most its {@code maxWait},
 * and returns at once when waiting cannot help: when the cost exceeds the burst, or when the
 * earliest admission lies beyond the deadline. It is not fair: a waiting caller can lose the
 * units it waited for to a caller that arrives just before it retries.
 */
public final class RateLimiter {

  private final PolicyBinding binding;
  private final TimeSource timeSource;

  private RateLimiter(PolicyBinding binding, TimeSource timeSource) {
    this.binding = binding;
    this.timeSource = timeSource;
  }

  /** Returns a limiter for the policy, in memory, on the system time source. */
  public static RateLimiter of(Policy policy) {
    return builder(policy).build();
  }

  public static Builder builder(Policy policy) {
    return new Builder(policy);
  }

  /** The policy this limiter applies. */
  public Policy policy() {
    return binding.policy();
  }

  /** Decides a request of cost 1 for {@code key}; see {@link #tryAcquire(String, long)}. */
  public Decision tryAcquire(String key) {
    return binding.tryAcquire(key, 1, Long.MAX_VALUE);
  }

  /**
   * Decides a request of {@code cost} units for {@code key} without waiting, and charges it to
   * every limit when admitted. A cost of 0 only reports the key's state. It is denied only
   * while the key is above a limit, as a rebinding to a lower limit can leave it.
   *
   * @throws IllegalArgumentException if cost is negative
   */
  public Decision tryAcquire(String key, long cost) {
    return binding.tryAcquire(key, cost, Long.MAX_VALUE);
  }

  /**
   * Decides and charges like {@link #tryAcquire(String, long)}, but returns only whether the
   * request was admitted. For callers that need no remaining count or retry after: on the
   * in-memory store, a denial allocates nothing.
   *
   * @throws IllegalArgumentException if cost is negative
   */
  public boolean tryAcquireAllowed(String key, long cost) {
    return binding.tryAcquireAllowed(key, cost);
  }

  /**
   * Decides like {@link #tryAcquire(String, long)}, but without blocking the calling thread on
   * a remote store: the stage completes when the store replies. On an in-memory store it is
   * already complete when returned. Cancelling the stage does not withdraw the request, which
   * the store may still charge.
   *
   * @throws IllegalArgumentException if cost is negative, at once rather than through the stage
   */
  public CompletionStage<Decision> tryAcquireAsync(String key, long cost) {
    return binding.tryAcquireAsync(key, cost, Long.MAX_VALUE);
  }

  /**
   * Acquires {@code cost} units for {@code key}, waiting at most {@code maxWait}, including any
   * shaping delay. Returns false at once, charging nothing, when the request cannot be admitted
   * within {@code maxWait} if nothing else happens.
   *
   * @return whether the units were acquired
   * @throws InterruptedException if interrupted while waiting; nothing is charged unless the
   *     interrupt came during a shaping delay, after admission
   */
  public boolean acquire(String key, long cost, Duration maxWait) throws InterruptedException {
    Objects.requireNonNull(maxWait, "maxWait");
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
    }
    long deadline = Exact.saturatedAdd(timeSource.nanos(), saturatedNanos(maxWait));
    while (true) {
      long budget = Math.max(0, deadline - timeSource.nanos());
      Decision decision = binding.tryAcquire(key, cost, budget);
      if (decision.allowed()) {
        timeSource.sleepNanos(decision.delayNanos());
        return true;
      }
      if (decision.costExceedsLimit()
          || decision.retryAfterNanos() > budget
          || shapingDelayNanos(key) > budget) {
        return false;
      }
      timeSource.sleepNanos(Math.max(1, decision.retryAfterNanos()));
    }
  }

  /**
   * Returns the delay a shaping limit would give a request admitted now. A shaped request goes
   * ahead only once the water ahead of it has leaked, so waiting for room never makes it go
   * ahead sooner than this: when the delay exceeds the budget, waiting cannot help.
   */
  private long shapingDelayNanos(String key) {
    return binding.tryAcquire(key, 0, Long.MAX_VALUE).delayNanos();
  }

  private static long saturatedNanos(Duration duration) {
    try {
      return duration.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  /** Options of a {@link RateLimiter}. */
  public static final class Builder {
    private final Policy policy;
    private TimeSource timeSource;
    private RateLimitStore store;

    private Builder(Policy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * Sets where time is read and how {@link #acquire} waits. It also drives the default
     * in-memory store. By default, the time source that the decisions of the store given to
     * {@link #store} read, such as an {@link InMemoryStore}'s, else {@link TimeSource#system()}.
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /**
     * Sets the store that keeps the per-key state; by default a new {@link InMemoryStore} on
     * this builder's time source.
     */
    public Builder store(RateLimitStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Builds the limiter.
     *
     * @throws IllegalArgumentException if the store's decisions read another time source of
     *     this process than the one set here (see {@link RateLimitStore#decisionTimeSource}),
     *     because they would then ignore this one while {@link RateLimiter#acquire} waits on it
     */
    public RateLimiter build() {
      Optional<TimeSource> storeTime =
          store == null ? Optional.empty() : store.decisionTimeSource();
      if (storeTime.isPresent()) {
        if (timeSource != null && timeSource != storeTime.get()) {
          throw new IllegalArgumentException("the store's decisions read another time source"
              + " than the one given to this builder, so they would ignore it; pass the same"
              + " one to the store's builder, such as InMemoryStore.builder().timeSource(...),"
              + " or set it only on the store");
        }
        return new RateLimiter(store.bind(policy), storeTime.get());
      }
      TimeSource chosenTime = timeSource != null ? timeSource : TimeSource.system();
      RateLimitStore chosen = store != null
          ? store
          : InMemoryStore.builder().timeSource(chosenTime).build();
      return new RateLimiter(chosen.bind(policy), chosenTime);
    }
  }
}
