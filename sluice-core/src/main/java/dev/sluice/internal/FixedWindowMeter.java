package dev.sluice.internal;

import dev.sluice.Decision;
import dev.sluice.Limit;

/**
 * Fixed window: at most {@code limit} units in each window {@code [k·period, (k+1)·period)},
 * counted from the Unix epoch.
 *
 * <p>Windows are aligned to the epoch so that every instance, and every restart, agrees on where
 * a window starts: a one-minute window starts on the minute. The known cost of fixed windows is
 * the boundary burst: 10 per minute admits 10 at 0:59.9 and 10 more at 1:00.1, 20 within 0.2 s.
 * Use {@code sliding_window} or {@code sliding_log} where that matters.
 */
final class FixedWindowMeter extends Meter {

  FixedWindowMeter(Limit spec) {
    super(spec);
  }

  /** Per-key state: units used in the window starting at {@code windowStart}. */
  static final class State extends KeyState {
    long windowStart;
    long used;

    State(long windowStart, long used) {
      this.windowStart = windowStart;
      this.used = used;
    }
  }

  /** Reads only numbers that are each valid whatever their mix, and divides by none of them. */
  @Override
  boolean readsWhileWritten() {
    return true;
  }

  @Override
  public Decision check(KeyState state, long now, long cost, long maxDelayNanos) {
    State s = (State) state;
    long windowStart = windowStart(s, now);
    long used = s != null && s.windowStart == windowStart ? s.used : 0;
    long untilWindowEnd = windowStart + periodNanos - now;
    long remaining = Math.max(0, limit - used);
    if (cost > limit) {
      return never(remaining, used > 0 ? untilWindowEnd : 0);
    }
    // Not cost <= remaining: a window used above a lowered limit must deny even a look.
    if (used + cost <= limit) {
      long resetAfter = used + cost > 0 ? untilWindowEnd : 0;
      return Decision.allow(name, limit, remaining - cost, resetAfter, 0);
    }
    return Decision.deny(name, limit, remaining, untilWindowEnd, untilWindowEnd);
  }

  @Override
  public KeyState admit(KeyState state, long now, long cost) {
    State s = (State) state;
    long windowStart = windowStart(s, now);
    long used = s != null && s.windowStart == windowStart ? s.used : 0;
    if (s == null) {
      return new State(windowStart, used + cost);
    }
    s.windowStart = windowStart;
    s.used = used + cost;
    return s;
  }

  @Override
  public long resetAt(KeyState state) {
    return ((State) state).windowStart + periodNanos;
  }

  /**
   * Returns the start of the window containing {@code now}, or the state's own window if that
   * is later (a thread that read the clock just before another thread opened a new window).
   */
  private long windowStart(State s, long now) {
    long current = now - Math.floorMod(now, periodNanos);
    return s != null && s.windowStart > current ? s.windowStart : current;
  }
}
