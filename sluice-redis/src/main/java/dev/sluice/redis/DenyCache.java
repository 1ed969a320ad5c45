package dev.sluice.redis;

import dev.sluice.Decision;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A binding that repeats recent denials of another binding without calling it, so that a
 * flood of requests on a denied key costs Redis about one call per retry after instead of one
 * per request.
 *
 * <p>When the binding denies {@code cost} units for a key with retry after {@code r}, the same
 * request (same key, cost and maximum delay) sent within {@code r} of the call is denied here.
 * The repeated denial has the retry after and reset after of the first, less the time that has
 * passed, and its remaining. Time is read from {@code clock} when the call is sent, before
 * Redis decides, so the local denial ends no later than the one Redis gave. Other instances
 * can only consume units, which makes the true retry after longer, never shorter, so a
 * repeated denial never denies a request that the store would admit if nothing else had
 * changed the key.
 *
 * <p>Everything else goes to the binding: a request of another cost or maximum delay, a cost
 * of 0, a key with no live denial, and any admission. Only denials made by the store are
 * remembered: not those of the failure mode, nor those with a retry after of 0 or
 * {@link Decision#NEVER}.
 *
 * <p>At most {@code maxEntries} keys are remembered. When the map is full, expired entries
 * are removed, at most once per earliest expiry. While it is still full, new denials are not
 * remembered, so their repeats go to Redis as usual.
 *
 * <p>Limitations: a denial is repeated until its retry after has passed even if the key's state
 * changed in another way meanwhile, such as by deleting the key in Redis or by another
 * instance binding the same policy name with larger limits. The repeated remaining is that of
 * the first denial, although refills may have raised it since, below the cost.
 */
final class DenyCache implements PolicyBinding {

  /** The default number of keys whose denials are remembered. */
  static final int DEFAULT_MAX_ENTRIES = 10_000;

  private final PolicyBinding store;
  private final LongSupplier clock;
  private final int maxEntries;
  /** Throws {@link IllegalStateException} once the store is closed. */
  private final Runnable requireOpen;
  private final Map<String, Denial> denials = new ConcurrentHashMap<>();
  private long nextSweepNanos;

  /** A denial, with the time its request was sent. */
  private record Denial(long cost, long maxDelayNanos, long sentNanos, Decision decision) {

    boolean repeats(long otherCost, long otherMaxDelayNanos) {
      return cost == otherCost && maxDelayNanos == otherMaxDelayNanos;
    }

    boolean liveAt(long nowNanos) {
      return nowNanos - sentNanos < decision.retryAfterNanos();
    }
  }

  /**
   * Wraps a binding.
   *
   * @param clock nanoseconds on a clock that only moves forward, such as {@link System#nanoTime}
   *     or the time source of {@link TimeMode#CLIENT}
   */
  DenyCache(PolicyBinding store, LongSupplier clock, int maxEntries) {
    this(store, clock, maxEntries, () -> { });
  }

  /**
   * Wraps a binding, and calls {@code requireOpen} before each decision, so that a closed
   * store throws also for a request whose denial is remembered.
   */
  DenyCache(PolicyBinding store, LongSupplier clock, int maxEntries, Runnable requireOpen) {
    this.requireOpen = Objects.requireNonNull(requireOpen, "requireOpen");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
    }
    this.maxEntries = maxEntries;
    this.nextSweepNanos = clock.getAsLong();
  }

  @Override
  public Policy policy() {
    return store.policy();
  }

  @Override
  public Decision tryAcquire(String key, long cost, long maxDelayNanos) {
    PolicyBinding.requireValidRequest(key, cost, maxDelayNanos);
    requireOpen.run();
    // Also when the denial is remembered, so that the misuse fails every time, not on a miss.
    StoreThreads.requireBlockingAllowed();
    long now = clock.getAsLong();
    Decision repeated = repeat(key, cost, maxDelayNanos, now);
    if (repeated != null) {
      return repeated;
    }
    Decision decision = store.tryAcquire(key, cost, maxDelayNanos);
    remember(key, cost, maxDelayNanos, now, decision);
    return decision;
  }

  @Override
  public CompletionStage<Decision> tryAcquireAsync(String key, long cost, long maxDelayNanos) {
    PolicyBinding.requireValidRequest(key, cost, maxDelayNanos);
    requireOpen.run();
    long now = clock.getAsLong();
    Decision repeated = repeat(key, cost, maxDelayNanos, now);
    if (repeated != null) {
      return CompletableFuture.completedFuture(repeated);
    }
    return store.tryAcquireAsync(key, cost, maxDelayNanos).thenApply(decision -> {
      remember(key, cost, maxDelayNanos, now, decision);
      return decision;
    });
  }

  /** Returns the number of keys with a remembered denial, live or expired; for tests. */
  int size() {
    return denials.size();
  }

  /** Returns the live denial of this request counted down to {@code now}, or null. */
  private Decision repeat(String key, long cost, long maxDelayNanos, long now) {
    Denial denial = denials.get(key);
    if (denial == null) {
      return null;
    }
    if (!denial.liveAt(now)) {
      denials.remove(key, denial);
      return null;
    }
    if (cost == 0 || !denial.repeats(cost, maxDelayNanos)) {
      return null;
    }
    return countedDown(denial.decision(), Math.max(0, now - denial.sentNanos()));
  }

  /**
   * Returns a denial repeated {@code elapsed} nanoseconds after the first, less than its retry
   * after: with the first's remaining, and its retry after and reset after less the time passed.
   */
  static Decision countedDown(Decision first, long elapsed) {
    return Decision.deny(first.limitName(), first.limit(), first.remaining(),
        Math.max(0, first.resetAfterNanos() - elapsed), first.retryAfterNanos() - elapsed);
  }

  private void remember(
      String key, long cost, long maxDelayNanos, long sentNanos, Decision decision) {
    if (decision.allowed() || cost == 0 || decision.source() != Decision.Source.STORE
        || decision.retryAfterNanos() <= 0) {
      return;
    }
    if (denials.size() >= maxEntries && !denials.containsKey(key) && !sweep(sentNanos)) {
      return;
    }
    denials.put(key, new Denial(cost, maxDelayNanos, sentNanos, decision));
  }

  /**
   * Removes expired denials when one may have expired since the last sweep, and returns
   * whether there is room for another.
   */
  private synchronized boolean sweep(long now) {
    if (now - nextSweepNanos >= 0) {
      denials.values().removeIf(denial -> !denial.liveAt(now));
      nextSweepNanos = denials.values().stream()
          .mapToLong(denial -> denial.sentNanos() + denial.decision().retryAfterNanos())
          .min()
          .orElse(now);
    }
    return denials.size() < maxEntries;
  }
}
