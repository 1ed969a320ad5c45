package dev.sluice.redis;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The circuit breaker of a {@link RedisStore}: after a failure it stops calling Redis, so that
 * a dead server costs one timeout per probe interval instead of one per request.
 *
 * <p>Closed, every decision calls Redis. The first failure opens it and logs one WARNING. Open,
 * it lets one decision per probe interval call Redis as a probe, and the failure mode decides
 * all others at once. A probe that succeeds closes it and logs one INFO line with the length
 * of the outage and the number of decisions made by the failure mode. Only a probe can close
 * it: a reply to a call sent before the failure proves nothing about the server now.
 *
 * <p>The state is an immutable snapshot replaced by compare-and-set, so threads never block.
 */
final class Breaker {

  /** The choice of a decision between calling Redis and the failure mode. */
  enum Attempt {
    /** Decide by the failure mode without calling Redis. */
    SKIP,
    /** Call Redis; the breaker is closed. */
    CALL,
    /** Call Redis as the one probe of this interval; the breaker is open. */
    PROBE
  }

  private record State(boolean open, long openedAtNanos, long nextProbeAtNanos) {}

  private static final State CLOSED = new State(false, 0, 0);
  private static final Logger LOG = System.getLogger(RedisStore.class.getName());

  private final AtomicReference<State> state = new AtomicReference<>(CLOSED);
  private final AtomicLong fallbacks = new AtomicLong();
  private final AtomicLong attempts = new AtomicLong();
  private final LongSupplier clock;
  private final long probeIntervalNanos;
  private final String description;

  /**
   * Creates a closed breaker.
   *
   * @param clock a monotonic clock in nanoseconds, such as {@code System::nanoTime}
   * @param description the store as named in log lines, without secrets
   */
  Breaker(LongSupplier clock, long probeIntervalNanos, String description) {
    this.clock = clock;
    this.probeIntervalNanos = probeIntervalNanos;
    this.description = description;
  }

  /** Decides whether this decision calls Redis, and counts the calls. */
  Attempt tryAttempt() {
    while (true) {
      State current = state.get();
      if (!current.open()) {
        attempts.incrementAndGet();
        return Attempt.CALL;
      }
      long now = clock.getAsLong();
      if (now - current.nextProbeAtNanos() < 0) {
        return Attempt.SKIP;
      }
      State probing = new State(true, current.openedAtNanos(), now + probeIntervalNanos);
      if (state.compareAndSet(current, probing)) {
        attempts.incrementAndGet();
        return Attempt.PROBE;
      }
    }
  }

  /** Closes the breaker after a successful probe. */
  void recordSuccess(Attempt attempt) {
    if (attempt != Attempt.PROBE) {
      return;
    }
    while (true) {
      State current = state.get();
      if (!current.open()) {
        return;
      }
      if (state.compareAndSet(current, CLOSED)) {
        long outageNanos = clock.getAsLong() - current.openedAtNanos();
        LOG.log(Level.INFO, "Redis store recovered " + description + " outage_ms="
            + outageNanos / 1_000_000 + " failure_mode_decisions=" + fallbacks.getAndSet(0));
        return;
      }
    }
  }

  /** Opens the breaker after a failed call; a failed probe leaves it open. */
  void recordFailure(Throwable error) {
    State current = state.get();
    if (current.open()) {
      return;
    }
    long now = clock.getAsLong();
    if (state.compareAndSet(current, new State(true, now, now + probeIntervalNanos))) {
      LOG.log(Level.WARNING, "Redis store failed " + description + " probe_interval_ms="
          + probeIntervalNanos / 1_000_000 + "; deciding by the failure mode until a probe"
          + " succeeds", error);
    }
  }

  /** Counts a decision made by the failure mode, reported on recovery. */
  void countFallback() {
    fallbacks.incrementAndGet();
  }

  boolean isOpen() {
    return state.get().open();
  }

  /** The number of decisions that called Redis, for tests. */
  long attempts() {
    return attempts.get();
  }
}
