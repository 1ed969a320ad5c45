package dev.sluice.internal;

import dev.sluice.Decision;
import dev.sluice.Limit;

/**
 * Generic cell rate algorithm: the whole state of a key is one number, its theoretical arrival
 * time (TAT).
 *
 * <p><b>Model.</b> With emission interval {@code T = period / limit}, a request of cost n at
 * time t is admitted when {@code max(tat, t) + n·T − t ≤ burst·T}, and then
 * {@code tat = max(tat, t) + n·T}. At 10 per minute with burst 10, T is 6 s: ten requests at
 * t = 0 push the TAT to 60 s; the eleventh would need 66 − 0 ≤ 60 and is denied with a retry
 * after of 6 s. GCRA admits exactly what a token bucket of the same burst admits; it only
 * stores the information differently.
 *
 * <p><b>Exact arithmetic.</b> T is a fraction of a nanosecond in general (7 s / 3), so the TAT
 * is kept as whole nanoseconds plus a remainder in units of {@code 1/limit} ns, and every sum
 * carries. Because a limit must recover its burst within {@link Limit#MAX_RECOVERY}, every TAT
 * lies less than that far ahead of the clock, and no value overflows.
 */
final class GcraMeter extends Meter {

  private final long burstWhole;
  private final long burstRemainder;

  GcraMeter(Limit spec) {
    super(spec);
    this.burstWhole = Exact.mulDiv(burst, periodNanos, limit);
    this.burstRemainder = Exact.mulMod(burst, periodNanos, limit);
  }

  /** Per-key state: the TAT, {@code whole + remainder / limit} nanoseconds since the epoch. */
  static final class State extends KeyState {
    long whole;
    long remainder;

    State(long whole, long remainder) {
      this.whole = whole;
      this.remainder = remainder;
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
    long aheadWhole = aheadWhole(s, now);
    long aheadRemainder = isAhead(s, now) ? remainder(s) : 0;
    if (cost > burst) {
      return never(remainingUnits(aheadWhole, aheadRemainder), ceil(aheadWhole, aheadRemainder));
    }
    long sumWhole = aheadWhole + Exact.mulDiv(cost, periodNanos, limit);
    long sumRemainder = aheadRemainder + Exact.mulMod(cost, periodNanos, limit);
    if (sumRemainder >= limit) {
      sumRemainder -= limit;
      sumWhole++;
    }
    boolean fits = sumWhole < burstWhole
        || (sumWhole == burstWhole && sumRemainder <= burstRemainder);
    if (fits) {
      return Decision.allow(
          name, limit, remainingUnits(sumWhole, sumRemainder), ceil(sumWhole, sumRemainder), 0);
    }
    long waitWhole = sumWhole - burstWhole;
    long waitRemainder = sumRemainder - burstRemainder;
    if (waitRemainder < 0) {
      waitRemainder += limit;
      waitWhole--;
    }
    return Decision.deny(
        name,
        limit,
        remainingUnits(aheadWhole, aheadRemainder),
        ceil(aheadWhole, aheadRemainder),
        ceil(waitWhole, waitRemainder));
  }

  @Override
  public KeyState admit(KeyState state, long now, long cost) {
    State s = (State) state;
    long whole = isAhead(s, now) ? s.whole : now;
    long remainder = isAhead(s, now) ? remainder(s) : 0;
    whole += Exact.mulDiv(cost, periodNanos, limit);
    remainder += Exact.mulMod(cost, periodNanos, limit);
    if (remainder >= limit) {
      remainder -= limit;
      whole++;
    }
    if (s == null) {
      return new State(whole, remainder);
    }
    s.whole = whole;
    s.remainder = remainder;
    return s;
  }

  @Override
  public long resetAt(KeyState state) {
    State s = (State) state;
    return ceil(s.whole, remainder(s));
  }

  /** Whether the TAT lies after {@code now}. */
  private static boolean isAhead(State s, long now) {
    return s != null && (s.whole > now || (s.whole == now && s.remainder > 0));
  }

  /** Returns the whole nanoseconds by which the TAT lies ahead of {@code now}, or 0. */
  private static long aheadWhole(State s, long now) {
    return isAhead(s, now) ? s.whole - now : 0;
  }

  /**
   * Returns the remainder of the TAT. A state written under a larger limit (before a reload)
   * can hold a remainder that no longer fits; it is then clamped to just under one nanosecond,
   * so the key is held back by less than a nanosecond rather than admitted early.
   */
  private long remainder(State s) {
    return s.remainder < limit ? s.remainder : limit - 1;
  }

  /** Returns the units that still fit when the TAT is {@code whole + remainder/limit} ahead. */
  private long remainingUnits(long aheadWhole, long aheadRemainder) {
    return Math.max(0, burst - Exact.mulAddDivCeil(aheadWhole, limit, aheadRemainder, periodNanos));
  }

  private static long ceil(long whole, long remainder) {
    return remainder > 0 ? whole + 1 : whole;
  }
}
