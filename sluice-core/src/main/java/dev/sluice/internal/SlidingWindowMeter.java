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
  static final class State extends KeyState {
    long windowStart;
    long previous;
    long current;

    State(long windowStart, long previous, long current) {
      this.windowStart = windowStart;
      this.previous = previous;
      this.current = current;
    }
  }

  @Override
  public Decision check(KeyState state, long now, long cost, long maxDelayNanos) {
    State s = (State) state;
    long windowStart = windowStart(s, now);
    long previous = previous(s, windowStart);
    long current = current(s, windowStart);
    long elapsed = Math.max(0, now - windowStart);
    long weight = periodNanos - elapsed;
    long estimate = current + Exact.mulDivCeil(previous, weight, periodNanos);
    long remaining = Math.max(0, limit - estimate);
    long resetAfter = resetAfter(windowStart, previous, current, now);
    if (cost > limit) {
      return never(remaining, resetAfter);
    }
    long room = limit - current - cost;
    if (room >= 0 && Exact.compareProducts(previous, weight, room, periodNanos) <= 0) {
      long resetAfterAdmission = resetAfter(windowStart, previous, current + cost, now);
      return Decision.allow(name, limit, remaining - cost, resetAfterAdmission, 0);
    }
    return Decision.deny(
        name, limit, remaining, resetAfter, retryAfter(previous, current, elapsed, cost));
  }

  @Override
  public KeyState admit(KeyState state, long now, long cost) {
    State s = (State) state;
    long windowStart = windowStart(s, now);
    long previous = previous(s, windowStart);
    long current = current(s, windowStart) + cost;
    if (s == null) {
      return new State(windowStart, previous, current);
    }
    s.windowStart = windowStart;
    s.previous = previous;
    s.current = current;
    return s;
  }

  @Override
  public long resetAt(KeyState state) {
    State s = (State) state;
    return resetAt(s.windowStart, s.previous, s.current);
  }

  private long resetAt(long windowStart, long previous, long current) {
    if (current > 0) {
      return windowStart + 2 * periodNanos;
    }
    return previous > 0 ? windowStart + periodNanos : windowStart;
  }

  private long resetAfter(long windowStart, long previous, long current, long now) {
    return Math.max(0, resetAt(windowStart, previous, current) - now);
  }

  /**
   * Returns the start of the window containing {@code now}, or the state's own window if that
   * is later (a time read just before another decision opened a new window).
   */
  private long windowStart(State s, long now) {
    long aligned = now - Math.floorMod(now, periodNanos);
    return s != null && s.windowStart > aligned ? s.windowStart : aligned;
  }

  /** Returns the count of the window before the one starting at {@code windowStart}. */
  private long previous(State s, long windowStart) {
    if (s == null) {
      return 0;
    }
    if (s.windowStart == windowStart) {
      return s.previous;
    }
    return s.windowStart == windowStart - periodNanos ? s.current : 0;
  }

  /** Returns the count of the window starting at {@code windowStart}. */
  private static long current(State s, long windowStart) {
    return s != null && s.windowStart == windowStart ? s.current : 0;
  }

  /**
   * Returns the shortest wait after which the request fits, given that the estimate only falls
   * as time passes: first within the current window, as the previous window's weight shrinks;
   * otherwise in the next one, where the current count becomes the previous.
   */
  private long retryAfter(long previous, long current, long elapsed, long cost) {
    long untilWindowEnd = periodNanos - elapsed;
    long room = limit - current - cost;
    if (room >= 0) {
      long weightThatFits = Exact.mulDiv(room, periodNanos, previous);
      return untilWindowEnd - weightThatFits;
    }
    long weightThatFits = Exact.mulDiv(limit - cost, periodNanos, current);
    return untilWindowEnd + Math.max(0, periodNanos - weightThatFits);
  }
}
