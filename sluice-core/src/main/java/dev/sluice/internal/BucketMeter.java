package dev.sluice.internal;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Mode;

/**
 * Token bucket, and leaky bucket as its mirror image.
 *
 * <p><b>Model.</b> A token bucket holds at most {@code burst} tokens, starts full and gains
 * {@code limit} tokens per {@code period}, continuously. A request of cost n is admitted when
 * at least n tokens are there, and takes them. A leaky bucket holds at most {@code burst} units
 * of water, starts empty and leaks {@code limit} per {@code period}; a request of cost n is
 * admitted when n more units fit. With {@code level = burst − tokens} the two are the same
 * meter, so they share this class. In shape mode, an admitted request is told to wait until
 * the water ahead of it has leaked: {@code level · period / limit}, which is also the time the
 * token bucket needs to become full again.
 *
 * <p><b>Exact arithmetic.</b> Tokens gained over a time e are {@code e · limit / period}, a
 * fraction in general (3 per 7 s gives 3/7 of a token per second). Instead of storing a
 * fraction, the state keeps a reference time {@code ref} and a whole number {@code tokens} so
 * that the bucket holds {@code min(burst, tokens + floor((now − ref) · limit / period))} whole
 * tokens. The fractional progress stays implicit in {@code now − ref}. After an admission the
 * reference moves forward by whole periods only, during which exactly {@code limit} tokens were
 * gained, so nothing is ever rounded away: emptied at t = 0, a bucket of 3 per 7 s has its next
 * token at t = 2,333,333,334 ns (7/3 s rounded up), and over any span it has gained exactly
 * {@code floor(3 · elapsed / 7 s)}. Keeping {@code now − ref} below one period bounds
 * {@code tokens} to {@code (−limit, burst]}, except in a leaky bucket made over-full by a
 * smaller burst (see {@link #adopt}), where it lies in {@code (−2^61, burst]}. With limits and
 * bursts below 2<sup>61</sup> no sum overflows, and products go through {@link Exact}, so a
 * bucket idle for a year refills to exactly full, not to a wrapped-around negative balance.
 */
final class BucketMeter extends Meter {

  private final boolean leaky;
  private final boolean shape;

  BucketMeter(Limit spec) {
    super(spec);
    this.leaky = spec.algorithm() == Algorithm.LEAKY_BUCKET;
    this.shape = leaky && spec.mode() == Mode.SHAPE;
  }

  /**
   * Per-key state: {@code min(burst, tokens + floor((now − ref) · limit / period))} tokens, read
   * with the numbers of {@code spec}, the limit that wrote it.
   */
  static final class State extends KeyState {
    long ref;
    long tokens;
    Limit spec;

    State(long ref, long tokens, Limit spec) {
      this.ref = ref;
      this.tokens = tokens;
      this.spec = spec;
    }
  }

  /** Reads only numbers that are each valid whatever their mix, and divides by none of them. */
  @Override
  boolean readsWhileWritten() {
    return true;
  }

  @Override
  public Decision check(KeyState state, long now, long cost, long maxDelayNanos) {
    State s = adopt((State) state, now);
    long tokens = tokens(s, now);
    if (cost > burst) {
      return never(tokens, nanosUntil(s, now, burst));
    }
    long delay = shape ? nanosUntil(s, now, burst) : 0;
    if (fits(s, now, tokens, cost) && delay <= maxDelayNanos) {
      long resetAfter = untilFullAfter(s, now, tokens, cost);
      return Decision.allow(name, limit, tokens - cost, resetAfter, delay);
    }
    long retryAfter = Math.max(nanosUntil(s, now, cost), delay - maxDelayNanos);
    return Decision.deny(name, limit, tokens, nanosUntil(s, now, burst), retryAfter);
  }

  @Override
  public boolean admits(KeyState state, long now, long cost, long maxDelayNanos) {
    State s = adopt((State) state, now);
    return cost <= burst
        && hasAtLeast(s, now, cost)
        && (cost > 0 || !overFull(s, now))
        && (!shape || nanosUntil(s, now, burst) <= maxDelayNanos);
  }

  @Override
  public KeyState admit(KeyState state, long now, long cost) {
    State s = adopt((State) state, now);
    if (s == null || hasAtLeast(s, now, burst)) {
      return write(state, now, burst - cost);
    }
    long elapsed = Math.max(0, now - s.ref);
    if (elapsed < periodNanos) {
      return write(state, s.ref, s.tokens - cost);
    }
    long periods = elapsed / periodNanos;
    return write(state, s.ref + periods * periodNanos, s.tokens + periods * limit - cost);
  }

  /** Writes a state into the key's state object, or into a new one if the key has none. */
  private KeyState write(KeyState state, long ref, long tokens) {
    if (state == null) {
      return new State(ref, tokens, spec);
    }
    State s = (State) state;
    s.ref = ref;
    s.tokens = tokens;
    s.spec = spec;
    return s;
  }

  /** Returns when the bucket is full, read with the numbers that wrote the state. */
  @Override
  public long resetAt(KeyState state) {
    State s = (State) state;
    Limit numbers = s.spec;
    long untilFull =
        Exact.mulDivCeil(numbers.burst() - s.tokens, numbers.periodNanos(), numbers.limit());
    return Exact.saturatedAdd(s.ref, untilFull);
  }

  /**
   * Returns the state as this meter reads it. A state written under other numbers, before a
   * rebinding changed the limit, period or burst, keeps less than one period of refill progress
   * in {@code now − ref} that only its own numbers can read. It is converted at {@code now} to
   * whole units, so the key loses less than one unit of progress and is never admitted early.
   * A store converts the state in place with {@link #convert} at the key's first decision under
   * the new numbers, so that from then on the bucket refills (or leaks) at the new rate.
   *
   * <p>What is kept depends on the model. A token bucket keeps its tokens, capped at the new
   * burst. A leaky bucket keeps its water, {@code burst − tokens}, so after a change of burst
   * the new bucket contains the same water. Water above a smaller burst makes it over-full,
   * with {@code tokens} below zero, possibly below {@code −limit}, so that it admits nothing
   * until the excess has leaked. The water never exceeds the burst it was admitted under,
   * below 2<sup>61</sup>, so {@code tokens} stays above −2<sup>61</sup> and no sum overflows. A
   * bucket that is full of tokens, or empty of water, under its old numbers is back to its
   * initial state.
   */
  private State adopt(State s, long now) {
    if (s == null || sameNumbers(s.spec)) {
      return s;
    }
    Limit old = s.spec;
    long oldTokens = unclampedTokens(s, now, old);
    if (oldTokens >= old.burst()) {
      return null;
    }
    long tokens = leaky ? burst - (old.burst() - oldTokens) : oldTokens;
    if (tokens >= burst) {
      return null;
    }
    return new State(Math.max(now, s.ref), tokens, spec);
  }

  /**
   * Returns the whole tokens of a state at {@code now} under its own numbers, like
   * {@link #tokens(State, long, long, long, long)} but without raising a negative balance to
   * zero: a state read before its reference time, from a clock that stepped back, keeps its
   * debt, so that converting it credits nothing.
   */
  private static long unclampedTokens(State s, long now, Limit numbers) {
    long elapsed = now - s.ref;
    if (elapsed <= 0) {
      return Math.min(numbers.burst(), s.tokens);
    }
    long gained = Exact.mulDiv(elapsed, numbers.limit(), numbers.periodNanos());
    if (gained >= numbers.burst() - s.tokens) {
      return numbers.burst();
    }
    return s.tokens + gained;
  }

  @Override
  public boolean needsConversion(KeyState state) {
    return state != null && !sameNumbers(((State) state).spec);
  }

  /**
   * Writes the state as {@link #adopt} reads it. The initial state is written as a full bucket
   * (of tokens), which every method reads as the initial state, because the key keeps its
   * state object.
   */
  @Override
  public void convert(KeyState state, long now) {
    State adopted = adopt((State) state, now);
    if (adopted == null) {
      write(state, now, burst);
    } else {
      write(state, adopted.ref, adopted.tokens);
    }
  }

  private boolean sameNumbers(Limit other) {
    return other == spec
        || (other.limit() == limit && other.periodNanos() == periodNanos
            && other.burst() == burst);
  }

  private long tokens(State s, long now) {
    if (s == null) {
      return burst;
    }
    return tokens(s, now, limit, periodNanos, burst);
  }

  private static long tokens(State s, long now, long limit, long periodNanos, long burst) {
    long elapsed = now - s.ref;
    if (elapsed <= 0) {
      return Math.max(0, Math.min(burst, s.tokens));
    }
    long gained = Exact.mulDiv(elapsed, limit, periodNanos);
    if (gained >= burst - s.tokens) {
      return burst;
    }
    return Math.max(0, s.tokens + gained);
  }

  /**
   * Returns whether {@code cost} fits, given the {@code tokens} that {@link #tokens(State, long)}
   * reads. Those are never below zero, so a look of cost 0 at an over-full leaky bucket needs
   * {@link #overFull} to be denied.
   */
  private boolean fits(State s, long now, long tokens, long cost) {
    return tokens >= cost && (cost > 0 || !overFull(s, now));
  }

  /**
   * Returns whether a leaky bucket contains more water than its burst, which means a balance of
   * tokens below zero. A rebinding to a smaller burst can leave it so (see {@link #adopt}).
   */
  private boolean overFull(State s, long now) {
    if (!leaky || s == null || s.tokens >= 0) {
      return false;
    }
    long elapsed = now - s.ref;
    return elapsed <= 0 || Exact.compareProducts(elapsed, limit, -s.tokens, periodNanos) < 0;
  }

  /**
   * Returns whether the bucket holds at least {@code target} tokens, {@code 0 ≤ target ≤ burst},
   * the same as {@code tokens(s, now) >= target} but by comparing products instead of dividing:
   * {@code floor(e · limit / period) ≥ k} exactly when {@code e · limit ≥ k · period}.
   */
  private boolean hasAtLeast(State s, long now, long target) {
    if (s == null || target <= 0) {
      return true;
    }
    long needed = target - s.tokens;
    if (needed <= 0) {
      return true;
    }
    long elapsed = now - s.ref;
    return elapsed > 0 && Exact.compareProducts(elapsed, limit, needed, periodNanos) >= 0;
  }

  /** Returns the wait from {@code now} until the bucket holds {@code target ≤ burst} tokens. */
  private long nanosUntil(State s, long now, long target) {
    if (s == null || target <= s.tokens) {
      return 0;
    }
    long sinceRef = Exact.mulDivCeil(target - s.tokens, periodNanos, limit);
    return Math.max(0, sinceRef - Math.max(0, now - s.ref));
  }

  /**
   * Returns the wait until full after {@code cost} of the {@code tokens} in the bucket are taken
   * at {@code now}.
   */
  private long untilFullAfter(State s, long now, long tokens, long cost) {
    if (s == null || tokens == burst) {
      return Exact.mulDivCeil(cost, periodNanos, limit);
    }
    long sinceRef = Exact.mulDivCeil(burst - s.tokens + cost, periodNanos, limit);
    return Math.max(0, sinceRef - Math.max(0, now - s.ref));
  }
}
