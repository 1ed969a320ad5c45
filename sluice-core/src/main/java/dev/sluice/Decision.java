package dev.sluice;

import java.time.Duration;
import java.util.Objects;

/**
 * The answer to one request: allowed or denied, with everything needed to explain it and to
 * tell the client when to come back. A denial is a value, not an exception.
 *
 * <p>All durations are whole nanoseconds. {@link #retryAfterNanos()} is rounded up, so that a
 * client that waits exactly that long and retries is admitted if nothing else happened;
 * {@link #remaining()} is rounded down. When the cost exceeds what the limit can ever admit
 * (a cost above the burst), {@link #retryAfterNanos()} is {@link #NEVER} and
 * {@link #costExceedsLimit()} is true, so that nobody waits for a request that can never pass.
 */
public final class Decision {

  /** The value of {@link #retryAfterNanos()} when waiting cannot help. */
  public static final long NEVER = -1;

  private final boolean allowed;
  private final long limit;
  private final long remaining;
  private final long resetAfterNanos;
  private final long retryAfterNanos;
  private final long delayNanos;
  private final String limitName;

  private Decision(
      boolean allowed,
      long limit,
      long remaining,
      long resetAfterNanos,
      long retryAfterNanos,
      long delayNanos,
      String limitName) {
    this.allowed = allowed;
    this.limit = limit;
    this.remaining = remaining;
    this.resetAfterNanos = resetAfterNanos;
    this.retryAfterNanos = retryAfterNanos;
    this.delayNanos = delayNanos;
    this.limitName = Objects.requireNonNull(limitName, "limitName");
  }

  /**
   * Creates an admission.
   *
   * @param delayNanos how long the caller should wait before going ahead; 0 unless shaping
   */
  public static Decision allow(
      String limitName, long limit, long remaining, long resetAfterNanos, long delayNanos) {
    return new Decision(true, limit, remaining, resetAfterNanos, 0, delayNanos, limitName);
  }

  /**
   * Creates a denial.
   *
   * @param retryAfterNanos the earliest wait after which the same request would be admitted if
   *     nothing else happened, or {@link #NEVER}
   */
  public static Decision deny(
      String limitName, long limit, long remaining, long resetAfterNanos, long retryAfterNanos) {
    if (retryAfterNanos < 0 && retryAfterNanos != NEVER) {
      throw new IllegalArgumentException(
          "retryAfterNanos must be at least 0 or NEVER, got " + retryAfterNanos);
    }
    return new Decision(false, limit, remaining, resetAfterNanos, retryAfterNanos, 0, limitName);
  }

  /** Whether the request was admitted, and its cost charged. */
  public boolean allowed() {
    return allowed;
  }

  /** The configured limit (units per period) of the limit that decided. */
  public long limit() {
    return limit;
  }

  /** Units that could still be taken now under the deciding limit, rounded down. */
  public long remaining() {
    return remaining;
  }

  /** Time until the key is back to its initial state if nothing else happens. */
  public long resetAfterNanos() {
    return resetAfterNanos;
  }

  /** {@link #resetAfterNanos()} as a duration. */
  public Duration resetAfter() {
    return Duration.ofNanos(resetAfterNanos);
  }

  /**
   * Zero when allowed; otherwise the earliest wait after which the same request would be
   * admitted if nothing else happened, rounded up, or {@link #NEVER}.
   */
  public long retryAfterNanos() {
    return retryAfterNanos;
  }

  /** Whether the cost exceeds what the limit can ever admit, so that retrying cannot help. */
  public boolean costExceedsLimit() {
    return retryAfterNanos == NEVER;
  }

  /**
   * How long an admitted request should wait before going ahead; non-zero only for a
   * {@code leaky_bucket} in {@code shape} mode.
   */
  public long delayNanos() {
    return delayNanos;
  }

  /**
   * The name of the limit that decided: for a denial, the limit with the longest retry after;
   * for an admission, the limit with the fewest units remaining.
   */
  public String limitName() {
    return limitName;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Decision that
        && allowed == that.allowed
        && limit == that.limit
        && remaining == that.remaining
        && resetAfterNanos == that.resetAfterNanos
        && retryAfterNanos == that.retryAfterNanos
        && delayNanos == that.delayNanos
        && limitName.equals(that.limitName);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        allowed, limit, remaining, resetAfterNanos, retryAfterNanos, delayNanos, limitName);
  }

  @Override
  public String toString() {
    return (allowed ? "allowed" : "denied")
        + "[limit=" + limitName + " (" + limit + ")"
        + ", remaining=" + remaining
        + ", resetAfterNanos=" + resetAfterNanos
        + ", retryAfterNanos=" + (retryAfterNanos == NEVER ? "NEVER" : retryAfterNanos)
        + ", delayNanos=" + delayNanos + "]";
  }
}
