package dev.sluice.internal;

import dev.sluice.Decision;
import dev.sluice.Limit;

/**
 * The arithmetic of one limit over one key's state. A meter holds no per-key data: the state is
 * a mutable object owned by the store, {@code null} while the key is in its initial state.
 *
 * <p>A store calls {@link #check} to decide and, when the request is admitted, {@link #admit}
 * to charge it, both with the same {@code now} and under the state's lock. {@code admit}
 * changes a state in place and returns it, so that a decision allocates nothing once a key is
 * tracked; for a key in its initial state it returns a new state. A {@code now} older than the
 * time the state was last written, from a time source that stepped back, is treated
 * conservatively: it can delay an admission but never add one.
 */
public abstract class Meter {

  final Limit spec;
  final String name;
  final long limit;
  final long periodNanos;
  final long burst;

  Meter(Limit spec) {
    this.spec = spec;
    this.name = spec.name();
    this.limit = spec.limit();
    this.periodNanos = spec.periodNanos();
    this.burst = spec.burst();
  }

  /**
   * Returns whether {@link #check} and {@link #admits} may read a state while another thread
   * changes it. The result is then wrong and the store discards it, but the call neither throws
   * nor loops. A store may then decide without taking the state and validate afterwards.
   */
  boolean readsWhileWritten() {
    return false;
  }

  /** Returns the meter for a limit. */
  public static Meter of(Limit limit) {
    return switch (limit.algorithm()) {
      case FIXED_WINDOW -> new FixedWindowMeter(limit);
      case SLIDING_LOG -> new SlidingLogMeter(limit);
      case SLIDING_WINDOW -> new SlidingWindowMeter(limit);
      case TOKEN_BUCKET, LEAKY_BUCKET -> new BucketMeter(limit);
      case GCRA -> new GcraMeter(limit);
    };
  }

  /** The limit this meter applies. */
  public Limit spec() {
    return spec;
  }

  /**
   * Decides a request of {@code cost} units at {@code now} without changing anything.
   *
   * @param state the key's state, or {@code null} for the initial state
   * @param maxDelayNanos the longest delay the caller accepts; a shaping meter denies a request
   *     that would have to wait longer
   */
  public abstract Decision check(KeyState state, long now, long cost, long maxDelayNanos);

  /**
   * Returns whether {@link #check} would admit the request, without building a decision; a meter
   * overrides it where it can answer without allocating.
   */
  public boolean admits(KeyState state, long now, long cost, long maxDelayNanos) {
    return check(state, now, cost, maxDelayNanos).allowed();
  }

  /**
   * Charges {@code cost ≥ 1} units at {@code now} to the state, in place, and returns it; for
   * {@code null}, the initial state, returns a new state.
   */
  public abstract KeyState admit(KeyState state, long now, long cost);

  /**
   * Returns whether the state was written under other numbers of this limit, before a
   * rebinding, so that {@link #convert} should write it under the current numbers before a
   * decision. Only meters whose state reads differently under other numbers return true.
   */
  public boolean needsConversion(KeyState state) {
    return false;
  }

  /**
   * Converts, in place and under the state's lock, a state for which {@link #needsConversion}
   * returned true, at {@code now}. Does nothing by default.
   */
  public void convert(KeyState state, long now) {}

  /**
   * Returns the earliest time at which the state is equivalent to the initial state, so that
   * the store may forget it.
   */
  public abstract long resetAt(KeyState state);

  final Decision never(long remaining, long resetAfterNanos) {
    return Decision.deny(name, limit, remaining, resetAfterNanos, Decision.NEVER);
  }
}
