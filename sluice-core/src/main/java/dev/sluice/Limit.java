package dev.sluice;

import dev.sluice.internal.Durations;
import dev.sluice.internal.Exact;
import dev.sluice.internal.Printable;
import java.time.Duration;
import java.util.Objects;

/**
 * One rate limit: {@code limit} units per {@code period}, with a {@code burst} where the
 * algorithm has one. Immutable and checked when built: an invalid value is rejected with a
 * message that names it, so a limit that exists is a limit that works.
 *
 * <pre>{@code
 * Limit perSecond = Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withBurst(20);
 * Limit perHour = Limit.of(Algorithm.FIXED_WINDOW, 1_000, Duration.ofHours(1)).withName("hourly");
 * }</pre>
 *
 * <p>Bounds, chosen so that no decision can overflow 64-bit arithmetic: {@code limit} and
 * {@code burst} are at most {@link #MAX_UNITS} (2<sup>61</sup> − 1); {@code period} lies between
 * 1 ms and {@link #MAX_PERIOD} (3,650 days); for the bucket algorithms, the time to recover a
 * whole burst ({@code burst · period / limit}) is at most {@link #MAX_RECOVERY} (100 × 365 days);
 * {@code sliding_log} keeps one entry per admitted instant, so its limit is at most
 * {@link #MAX_SLIDING_LOG_LIMIT}. A limit of 0 (never refill) is not accepted: use a long
 * period instead.
 *
 * @param name identifies the limit in decisions and headers; defaults to e.g. {@code 10/1s}
 * @param algorithm how units are counted
 * @param limit units admitted per period, at least 1
 * @param period the length of the window, or the time in which {@code limit} units refill
 * @param burst the most units admissible at once; equals {@code limit} for window algorithms
 * @param mode for {@code leaky_bucket} only: police (no delay) or shape (delay admitted requests)
 */
public record Limit(
    String name, Algorithm algorithm, long limit, Duration period, long burst, Mode mode) {

  /** The largest limit or burst: 2<sup>61</sup> − 1. */
  public static final long MAX_UNITS = (1L << 61) - 1;

  /** The shortest period. */
  public static final Duration MIN_PERIOD = Duration.ofMillis(1);

  /** The longest period: 3,650 days. */
  public static final Duration MAX_PERIOD = Duration.ofDays(3_650);

  /** The longest time a bucket algorithm may need to recover its whole burst: 36,500 days. */
  public static final Duration MAX_RECOVERY = Duration.ofDays(36_500);

  /** The largest limit of a {@code sliding_log}, which stores one entry per admitted instant. */
  public static final long MAX_SLIDING_LOG_LIMIT = 100_000;

  /**
   * The limit name that an {@link dev.sluice.store.InMemoryStore} gives its denials of new keys
   * at its key cap. No limit may take it, so that a client can tell those denials apart.
   */
  public static final String KEY_CAP_NAME = "max_keys";

  /** Checks every component; see the class documentation for the bounds. */
  public Limit {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(mode, "mode");
    requireUnits("limit", limit);
    requireUnits("burst", burst);
    requirePeriod(period);
    if (!algorithm.hasBurst() && burst != limit) {
      throw new IllegalArgumentException(
          "burst applies only to token_bucket, leaky_bucket and gcra, but " + algorithm
              + " was given burst " + burst + " with limit " + limit);
    }
    if (mode == Mode.SHAPE && algorithm != Algorithm.LEAKY_BUCKET) {
      throw new IllegalArgumentException(
          "mode shape applies only to leaky_bucket, but the algorithm is " + algorithm);
    }
    if (algorithm == Algorithm.SLIDING_LOG && limit > MAX_SLIDING_LOG_LIMIT) {
      throw new IllegalArgumentException(
          "limit of a sliding_log must be at most " + MAX_SLIDING_LOG_LIMIT + ", got " + limit
              + "; use sliding_window for large limits");
    }
    if (algorithm.hasBurst()) {
      requireRecoverable(burst, period, limit);
    }
    if (name == null) {
      name = limit + "/" + Durations.format(period);
    }
    requireName(name);
  }

  /**
   * Creates a limit of {@code limit} units per {@code period}, with burst equal to the limit,
   * police mode and the default name.
   *
   * @throws IllegalArgumentException if a value is out of bounds, naming it
   */
  public static Limit of(Algorithm algorithm, long limit, Duration period) {
    return new Limit(null, algorithm, limit, period, limit, Mode.POLICE);
  }

  /** Returns this limit with another burst. */
  public Limit withBurst(long burst) {
    return new Limit(name, algorithm, limit, period, burst, mode);
  }

  /** Returns this limit with another mode; only {@code leaky_bucket} accepts {@code shape}. */
  public Limit withMode(Mode mode) {
    return new Limit(name, algorithm, limit, period, burst, mode);
  }

  /** Returns this limit with another name. */
  public Limit withName(String name) {
    return new Limit(Objects.requireNonNull(name, "name"), algorithm, limit, period, burst, mode);
  }

  /** The period in nanoseconds. */
  public long periodNanos() {
    return period.toNanos();
  }

  private static void requireUnits(String field, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(field + " must be at least 1, got " + value);
    }
    if (value > MAX_UNITS) {
      throw new IllegalArgumentException(
          field + " must be at most " + MAX_UNITS + ", got " + value);
    }
  }

  private static void requirePeriod(Duration period) {
    if (period.compareTo(MIN_PERIOD) < 0) {
      throw new IllegalArgumentException(
          "period must be at least 1ms, got " + Durations.format(period));
    }
    if (period.compareTo(MAX_PERIOD) > 0) {
      throw new IllegalArgumentException(
          "period must be at most 3650d, got " + Durations.format(period));
    }
  }

  private static void requireRecoverable(long burst, Duration period, long limit) {
    long recoveryNanos = Exact.mulDivCeil(burst, period.toNanos(), limit);
    if (recoveryNanos > MAX_RECOVERY.toNanos()) {
      throw new IllegalArgumentException(
          "burst " + burst + " at " + limit + " per " + Durations.format(period)
              + " takes longer than 36500d to recover; lower the burst or raise the limit");
    }
  }

  private static void requireName(String name) {
    if (name.isEmpty() || name.length() > 64) {
      throw new IllegalArgumentException("limit name must be 1 to 64 characters, got "
          + name.length() + ": '" + Printable.escape(name) + "'");
    }
    if (name.equals(KEY_CAP_NAME)) {
      throw new IllegalArgumentException("limit name '" + KEY_CAP_NAME + "' is reserved for"
          + " denials at the in-memory store's key cap; choose another name");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x21 || c > 0x7e || c == '"' || c == '\\' || c == ',' || c == ';') {
        throw new IllegalArgumentException(
            "limit name must be printable ASCII without spaces, quotes, backslashes, commas or"
                + " semicolons, got '" + Printable.escape(name) + "'");
      }
    }
  }
}
