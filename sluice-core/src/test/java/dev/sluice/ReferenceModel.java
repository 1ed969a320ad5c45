package dev.sluice;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deliberately simple model of one key under one limit, written straight from the definitions
 * of the algorithms with {@link BigInteger} fractions, to check the production arithmetic against.
 * Times are absolute nanoseconds since the epoch.
 */
abstract class ReferenceModel {

  final BigInteger limit;
  final BigInteger period;
  final BigInteger burst;

  ReferenceModel(Limit spec) {
    this.limit = big(spec.limit());
    this.period = big(spec.periodNanos());
    this.burst = big(spec.burst());
  }

  static ReferenceModel of(Limit spec) {
    return switch (spec.algorithm()) {
      case FIXED_WINDOW -> new FixedWindow(spec);
      case SLIDING_LOG -> new SlidingLog(spec);
      case SLIDING_WINDOW -> new SlidingWindow(spec);
      case TOKEN_BUCKET, LEAKY_BUCKET -> new Bucket(spec);
      case GCRA -> new Gcra(spec);
    };
  }

  /** Returns the largest cost the limit can ever admit. */
  long capacity() {
    return burst.longValueExact();
  }

  /** Returns the units that fit now, rounded down. */
  abstract long remaining(long now);

  /** Returns the time until the key is back to its initial state. */
  abstract long resetAfter(long now);

  /** Charges an admitted cost. */
  abstract void take(long now, long cost);

  /** Returns the delay a shaping leaky bucket gives a request admitted now. */
  long shapingDelay(long now) {
    return 0;
  }

  boolean admits(long now, long cost) {
    return cost <= capacity() && cost <= remaining(now);
  }

  static BigInteger big(long value) {
    return BigInteger.valueOf(value);
  }

  static long ceilDiv(BigInteger dividend, BigInteger divisor) {
    BigInteger[] qr = dividend.divideAndRemainder(divisor);
    BigInteger ceil = qr[1].signum() > 0 ? qr[0].add(BigInteger.ONE) : qr[0];
    return ceil.max(BigInteger.ZERO).longValueExact();
  }

  /** Counts per window {@code [k·period, (k+1)·period)} from the epoch. */
  static final class FixedWindow extends ReferenceModel {
    private final Map<Long, Long> used = new HashMap<>();

    FixedWindow(Limit spec) {
      super(spec);
    }

    private long window(long now) {
      return Math.floorDiv(now, period.longValueExact());
    }

    @Override
    long remaining(long now) {
      return Math.max(0, limit.longValueExact() - used.getOrDefault(window(now), 0L));
    }

    @Override
    long resetAfter(long now) {
      long k = window(now);
      return used.getOrDefault(k, 0L) > 0 ? (k + 1) * period.longValueExact() - now : 0;
    }

    @Override
    void take(long now, long cost) {
      used.merge(window(now), cost, Long::sum);
    }
  }

  /** Every admitted unit with its time; counts those in {@code (now − period, now]}. */
  static final class SlidingLog extends ReferenceModel {
    private final List<long[]> log = new ArrayList<>();

    SlidingLog(Limit spec) {
      super(spec);
    }

    @Override
    long remaining(long now) {
      long used = 0;
      for (long[] entry : log) {
        if (entry[0] > now - period.longValueExact()) {
          used += entry[1];
        }
      }
      return Math.max(0, limit.longValueExact() - used);
    }

    @Override
    long resetAfter(long now) {
      long newest = Long.MIN_VALUE;
      for (long[] entry : log) {
        if (entry[0] > now - period.longValueExact()) {
          newest = Math.max(newest, entry[0]);
        }
      }
      return newest == Long.MIN_VALUE ? 0 : newest + period.longValueExact() - now;
    }

    @Override
    void take(long now, long cost) {
      log.add(new long[] {now, cost});
    }
  }

  /** {@code prev·(period − e)/period + curr + n ≤ limit}, in exact fractions. */
  static final class SlidingWindow extends ReferenceModel {
    private final Map<Long, Long> counts = new HashMap<>();

    SlidingWindow(Limit spec) {
      super(spec);
    }

    private long window(long now) {
      return Math.floorDiv(now, period.longValueExact());
    }

    @Override
    long remaining(long now) {
      long k = window(now);
      BigInteger prev = big(counts.getOrDefault(k - 1, 0L));
      BigInteger curr = big(counts.getOrDefault(k, 0L));
      BigInteger elapsed = big(now).subtract(big(k).multiply(period));
      // n ≤ (limit·period − prev·(period − e)) / period − curr
      BigInteger room = limit.multiply(period).subtract(prev.multiply(period.subtract(elapsed)));
      BigInteger fits = floorDiv(room, period).subtract(curr);
      return fits.max(BigInteger.ZERO).longValueExact();
    }

    @Override
    long resetAfter(long now) {
      long k = window(now);
      long p = period.longValueExact();
      if (counts.getOrDefault(k, 0L) > 0) {
        return (k + 2) * p - now;
      }
      return counts.getOrDefault(k - 1, 0L) > 0 ? (k + 1) * p - now : 0;
    }

    @Override
    void take(long now, long cost) {
      counts.merge(window(now), cost, Long::sum);
    }

    private static BigInteger floorDiv(BigInteger a, BigInteger b) {
      BigInteger[] qr = a.divideAndRemainder(b);
      return qr[1].signum() < 0 ? qr[0].subtract(BigInteger.ONE) : qr[0];
    }
  }

  /**
   * Token bucket, and leaky bucket as {@code level = burst − tokens}: tokens kept as an exact
   * fraction with denominator {@code period}.
   */
  static final class Bucket extends ReferenceModel {
    private BigInteger tokensTimesPeriod;
    private long last = Long.MIN_VALUE;

    Bucket(Limit spec) {
      super(spec);
      tokensTimesPeriod = burst.multiply(period);
    }

    private void refill(long now) {
      if (last != Long.MIN_VALUE && now > last) {
        BigInteger gained = big(now - last).multiply(limit);
        tokensTimesPeriod = tokensTimesPeriod.add(gained).min(burst.multiply(period));
      }
      last = Math.max(last, now);
    }

    @Override
    long remaining(long now) {
      refill(now);
      return tokensTimesPeriod.divide(period).longValueExact();
    }

    @Override
    long resetAfter(long now) {
      refill(now);
      return ceilDiv(burst.multiply(period).subtract(tokensTimesPeriod), limit);
    }

    @Override
    long shapingDelay(long now) {
      return resetAfter(now);
    }

    @Override
    void take(long now, long cost) {
      refill(now);
      tokensTimesPeriod = tokensTimesPeriod.subtract(big(cost).multiply(period));
    }
  }

  /** The theoretical arrival time, kept as an exact fraction with denominator {@code limit}. */
  static final class Gcra extends ReferenceModel {
    private BigInteger tatTimesLimit = BigInteger.ZERO;

    Gcra(Limit spec) {
      super(spec);
    }

    /** Returns {@code (tat − now)·limit}, the distance of the TAT ahead of now, at least 0. */
    private BigInteger aheadTimesLimit(long now) {
      return tatTimesLimit.subtract(big(now).multiply(limit)).max(BigInteger.ZERO);
    }

    @Override
    long remaining(long now) {
      // Units in use: ahead / T = ahead·limit / period.
      BigInteger free = burst.multiply(period).subtract(aheadTimesLimit(now));
      return free.max(BigInteger.ZERO).divide(period).longValueExact();
    }

    @Override
    long resetAfter(long now) {
      return ceilDiv(aheadTimesLimit(now), limit);
    }

    @Override
    void take(long now, long cost) {
      BigInteger start = tatTimesLimit.max(big(now).multiply(limit));
      tatTimesLimit = start.add(big(cost).multiply(period));
    }
  }
}
