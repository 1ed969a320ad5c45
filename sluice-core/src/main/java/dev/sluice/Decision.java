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
 *
 * <p>{@link #source()} tells a decision of the store from one made because the store failed,
 * such as a Redis store that cannot reach its server. A decision that failed open is allowed
 * with {@link #remaining()} 0, so that it never looks like a normal admission with room left.
 */
public final class Decision {

  /** The value of {@link #retryAfterNanos()} when waiting cannot help. */
  public static final long NEVER = -1;

  /** The origin of a decision: the store, or a failure mode because the store failed. */
  public enum Source {
    /** The store decided by the state of the key. The default. */
    STORE,
    /**
     * The store failed and admits every request, with remaining, reset after and delay 0,
     * except one whose cost no limit could ever admit, which it denies with {@link #NEVER}.
     */
    FAILED_OPEN,
    /** The store failed and denies every request. */
    FAILED_CLOSED,
    /** The store failed and a local store on this instance decided, on a share of the limits. */
    LOCAL_FALLBACK
  }

  private final boolean allowed;
  private final long limit;
  private final long remaining;
  private final long resetAfterNanos;
  private final long retryAfterNanos;
  private final long delayNanos;
  private final String limitName;
  private final Source source;

  private Decision(
      boolean allowed,
      long limit,
      long remaining,
      long resetAfterNanos,
      long retryAfterNanos,
      long delayNanos,
      String limitName,
      Source source) {
    this.allowed = allowed;
    this.limit = limit;
    this.remaining = remaining;
    this.resetAfterNanos = resetAfterNanos;
    this.retryAfterNanos = retryAfterNanos;
    this.delayNanos = delayNanos;
    this.limitName = Objects.requireNonNull(limitName, "limitName");
    this.source = Objects.requireNonNull(source, "source");
  }

  /**
   * Creates an admission.
   *
   * @param delayNanos how long the caller should wait before going ahead; 0 unless shaping
   */
  public static Decision allow(
      String limitName, long limit, long remaining, long resetAfterNanos, long delayNanos) {
    return new Decision(
        true, limit, remaining, resetAfterNanos, 0, delayNanos, limitName, Source.STORE);
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
    return new Decision(false, limit, remaining, resetAfterNanos, retryAfterNanos, 0, limitName,
        Source.STORE);
  }

  /**
   * Returns this decision as made by {@code source}.
   *
   * @throws IllegalArgumentException if {@code source} is {@link Source#FAILED_OPEN} and this
   *     decision is a denial other than {@link #costExceedsLimit()} or has remaining, reset
   *     after or delay other than 0, or if it is {@link Source#FAILED_CLOSED} and this decision
   *     is an admission
   */
  public Decision withSource(Source source) {
    Objects.requireNonNull(source, "source");
    if (source == Source.FAILED_OPEN && ((!allowed && !costExceedsLimit())
        || remaining != 0 || resetAfterNanos != 0 || delayNanos != 0)) {
      throw new IllegalArgumentException("a FAILED_OPEN decision must be allowed, or denied"
          + " with NEVER, with remaining, reset after and delay 0, got " + this);
    }
    if (source == Source.FAILED_CLOSED && allowed) {
      throw new IllegalArgumentException("a FAILED_CLOSED decision must be a denial, got " + this);
    }
    return new Decision(allowed, limit, remaining, resetAfterNanos, retryAfterNanos, delayNanos,
        limitName, source);
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

  /** Returns the origin of this decision, {@link Source#STORE} unless the store failed. */
  public Source source() {
    return source;
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
        && limitName.equals(that.limitName)
        && source == that.source;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        allowed, limit, remaining, resetAfterNanos, retryAfterNanos, delayNanos, limitName,
        source);
  }

  @Override
  public String toString() {
    return (allowed ? "allowed" : "denied")
        + "[limit=" + limitName + " (" + limit + ")"
        + ", remaining=" + remaining
        + ", resetAfterNanos=" + resetAfterNanos
        + ", retryAfterNanos=" + (retryAfterNanos == NEVER ? "NEVER" : retryAfterNanos)
        + ", delayNanos=" + delayNanos
        + (source == Source.STORE ? "" : ", source=" + source) + "]";
  }
}
