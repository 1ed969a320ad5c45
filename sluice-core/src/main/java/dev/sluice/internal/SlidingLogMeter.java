package dev.sluice.internal;

import dev.sluice.Decision;
import dev.sluice.Limit;
import java.util.Arrays;

/**
 * Sliding window log: the exact count of units admitted in {@code (t − period, t]}.
 *
 * <p><b>Model.</b> Every admission is logged with its time; a request of cost n at time t is
 * admitted when the logged units newer than {@code t − period}, plus n, are at most the limit.
 * At 10 per minute, 10 admitted at 0:59.9 block everything until 1:59.9 exactly: no window of
 * one period ever holds more than the limit, at any alignment.
 *
 * <p><b>Cost.</b> The log holds one entry per distinct admission instant inside the period (so
 * at most {@code limit} entries, which is why {@link Limit#MAX_SLIDING_LOG_LIMIT} bounds the
 * limit), and an admission copies the live entries into new arrays. Use
 * {@code sliding_window} when the limit is large.
 */
final class SlidingLogMeter extends Meter {

  SlidingLogMeter(Limit spec) {
    super(spec);
  }

  /**
   * Per-key state: admission times in increasing order, and for each the total units admitted
   * up to and including it, so that the units in any suffix are one subtraction away.
   */
  static final class State extends KeyState {
    long[] times;
    long[] cumulative;

    State(long[] times, long[] cumulative) {
      this.times = times;
      this.cumulative = cumulative;
    }

    long newest() {
      return times[times.length - 1];
    }

    /** Returns the index of the first entry newer than {@code time}. */
    int firstAfter(long time) {
      int index = Arrays.binarySearch(times, time);
      if (index < 0) {
        return -index - 1;
      }
      while (index < times.length && times[index] == time) {
        index++;
      }
      return index;
    }

    /** Returns the units logged from entry {@code index} on. */
    long unitsFrom(int index) {
      if (index >= times.length) {
        return 0;
      }
      long before = index == 0 ? 0 : cumulative[index - 1];
      return cumulative[cumulative.length - 1] - before;
    }
  }

  @Override
  public Decision check(KeyState state, long now, long cost, long maxDelayNanos) {
    State s = (State) state;
    if (s == null) {
      return cost > limit
          ? never(limit, 0)
          : Decision.allow(name, limit, limit - cost, cost > 0 ? periodNanos : 0, 0);
    }
    int firstLive = s.firstAfter(now - periodNanos);
    long used = s.unitsFrom(firstLive);
    long remaining = Math.max(0, limit - used);
    long resetAfter = used > 0 ? Math.max(0, s.newest() + periodNanos - now) : 0;
    if (cost > limit) {
      return never(remaining, resetAfter);
    }
    // Not cost <= remaining: a log above a lowered limit must deny even a look.
    if (used + cost <= limit) {
      long resetAfterAdmission = cost > 0 ? Math.max(periodNanos, resetAfter) : resetAfter;
      return Decision.allow(name, limit, remaining - cost, resetAfterAdmission, 0);
    }
    return Decision.deny(name, limit, remaining, resetAfter, retryAfter(s, firstLive, now, cost));
  }

  /**
   * Returns the wait until enough of the oldest live entries have left the window for the
   * request to fit: entry i leaves at {@code times[i] + period}.
   */
  private long retryAfter(State s, int firstLive, long now, long cost) {
    long allowedUsed = limit - cost;
    int index = firstLive;
    while (s.unitsFrom(index) > allowedUsed) {
      index++;
    }
    return Math.max(0, s.times[index - 1] + periodNanos - now);
  }

  @Override
  public KeyState admit(KeyState state, long now, long cost) {
    State s = (State) state;
    if (s == null) {
      return new State(new long[] {now}, new long[] {cost});
    }
    long time = Math.max(now, s.newest());
    int firstLive = s.firstAfter(time - periodNanos);
    int live = s.times.length - firstLive;
    boolean merge = live > 0 && s.newest() == time;
    int length = merge ? live : live + 1;
    long[] times = new long[length];
    long[] cumulative = new long[length];
    long dropped = firstLive == 0 ? 0 : s.cumulative[firstLive - 1];
    for (int i = 0; i < live; i++) {
      times[i] = s.times[firstLive + i];
      cumulative[i] = s.cumulative[firstLive + i] - dropped;
    }
    long before = length > 1 || merge ? cumulative[length - 1 - (merge ? 0 : 1)] : 0;
    times[length - 1] = time;
    cumulative[length - 1] = before + cost;
    s.times = times;
    s.cumulative = cumulative;
    return s;
  }

  @Override
  public long resetAt(KeyState state) {
    return ((State) state).newest() + periodNanos;
  }
}
