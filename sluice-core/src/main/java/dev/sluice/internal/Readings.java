package dev.sluice.internal;

import dev.sluice.TimeSource;

/** Reads a {@link TimeSource} for a decision, as every store does. */
public final class Readings {

  private Readings() {}

  /**
   * Returns a reading of {@code timeSource}, and rejects one outside 0 to
   * {@link TimeSource#MAX_NANOS}, for which the arithmetic of the decisions is not made.
   *
   * @throws IllegalStateException naming the reading and the range
   */
  public static long nanos(TimeSource timeSource) {
    long now = timeSource.nanos();
    if (now < 0 || now > TimeSource.MAX_NANOS) {
      throw new IllegalStateException("time source returned " + now
          + " ns; expected nanoseconds since the Unix epoch from 0 to " + TimeSource.MAX_NANOS);
    }
    return now;
  }
}
