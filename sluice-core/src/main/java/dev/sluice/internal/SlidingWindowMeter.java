package dev.sluice.internal;

import dev.sluice.Decision;
import dev.sluice.Limit;

/**
 * Sliding window counter: an estimate of the units admitted in the last period, from two
 * epoch-aligned fixed windows.
 *
 * <p><b>Model.</b> With {@code prev} units in the previous window, {@code curr} in the current
 * one, and the current window {@code e} old, a request of cost n is admitted when
 * {@code prev · (period − e) / period + curr + n ≤ limit}. The previous window is assumed to
 * have spread its units evenly. At 10 per minute, 10 admitted at 0:59.9 weigh
 * {@code 10 · 59.9 / 60 = 9.98} at 1:00.1, so nothing more fits; at 1:30 they weigh 5.
 *
 * <p><b>Exact arithmetic.</b> The test is evaluated as
 * {@code prev · (period − e) ≤ (limit − curr − n) · period}, on 128-bit products.
 */
final class SlidingWindowMeter extends Meter {

  SlidingWindowMeter(Limit spec) {
    super(spec);
  }

  /** Per-key state: the counts of the window starting at {@code windowStart} and the one before. */
  static final class State {
    final long windowStart;
    final long previous;
    final long current;

    State(long windowStart, long previous, long current) {
      this.windowStart = windowStart;
      this.previous = previous;
      this.current = current;
    }
  }

  @Override
  public Decision check(Object state, long now, long cost, long maxDelayNanos) {
    State s = shift((State) state, now);
    long elapsed = Math.max(0, now - s.windowStart);
    long weight = periodNanos - elapsed;
    long estimate = s.current + Exact.mulDivCeil(s.previous, weight, periodNanos);
    long remaining = Math.max(0, limit - estimate);
    if (cost > limit) {
      return never(remaining, resetAfter(s, now));
    }
    long room = limit - s.current - cost;
    if (room >= 0 && Exact.compareProducts(s.previous, weight, room, periodNanos) <= 0) {
      State after = new State(s.windowStart, s.previous, s.current + cost);
      return Decision.allow(name, limit, remaining - cost, resetAfter(after, now), 0);
    }
    return Decision.deny(name, limit, remaining, resetAfter(s, now), retryAfter(s, elapsed, cost));
  }

  @Override
  public Object admit(Object state, long now, long cost) {
    State s = shift((State) state, now);
    return new State(s.windowStart, s.previous, s.current + cost);
  }

  @Override
  public long resetAt(Object state) {
    State s = (State) state;
    if (s.current > 0) {
      return s.windowStart + 2 * periodNanos;
    }
    return s.previous > 0 ? s.windowStart + periodNanos : s.windowStart;
  }

  /** Returns the state as seen from the window containing {@code now}. */
  private State shift(State s, long now) {
    long windowStart = now - Math.floorMod(now, periodNanos);
    if (s == null) {
      return new State(windowStart, 0, 0);
    }
    if (s.windowStart >= windowStart) {
      return s;
    }
    if (s.windowStart == windowStart - periodNanos) {
      return new State(windowStart, s.current, 0);
    }
    return new State(windowStart, 0, 0);
  }

  private long resetAfter(State s, long now) {
    return Math.max(0, resetAt(s) - now);
  }

  /**
   * Returns the shortest wait after which the request fits, given that the estimate only falls
   * as time passes: first within the current window, as the previous window's weight shrinks;
   * otherwise in the next one, where the current count becomes the previous.
   */
  private long retryAfter(State s, long elapsed, long cost) {
    long untilWindowEnd = periodNanos - elapsed;
    long room = limit - s.current - cost;
    if (room >= 0) {
      long weightThatFits = Exact.mulDiv(room, periodNanos, s.previous);
      return untilWindowEnd - weightThatFits;
    }
    long weightThatFits = Exact.mulDiv(limit - cost, periodNanos, s.current);
    return untilWindowEnd + Math.max(0, periodNanos - weightThatFits);
  }
}
