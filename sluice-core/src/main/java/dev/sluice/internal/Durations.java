package dev.sluice.internal;

import java.time.Duration;

/** Formats durations the way config files write them: {@code 500ms}, {@code 60s}, {@code 1h}. */
public final class Durations {

  private Durations() {}

  /**
   * Formats a duration in the largest unit that represents it exactly, from days down to
   * nanoseconds, such as {@code 1d}, {@code 90s} or {@code 1500us}; zero is {@code 0ms}.
   */
  public static String format(Duration duration) {
    long nanos;
    try {
      nanos = duration.toNanos();
    } catch (ArithmeticException tooLong) {
      return duration.toSeconds() + "s";
    }
    if (nanos == 0) {
      return "0ms";
    }
    String[] units = {"d", "h", "m", "s", "ms", "us", "ns"};
    long[] sizes = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L,
        1_000_000L, 1_000L, 1L};
    for (int i = 0; i < units.length; i++) {
      if (nanos != 0 && nanos % sizes[i] == 0) {
        return nanos / sizes[i] + units[i];
      }
    }
    return nanos + "ns";
  }
}
