package dev.sluice;

import dev.sluice.internal.Printable;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The rate limiting algorithms; {@link #configName()} is the name used in config files. */
public enum Algorithm {
  /** Counts units in windows {@code [k·period, (k+1)·period)} aligned to the Unix epoch. */
  FIXED_WINDOW(false),
  /** Keeps the time of every admitted unit and counts those in {@code (t − period, t]}. */
  SLIDING_LOG(false),
  /** Weights the previous window's count by how much of it still overlaps the sliding window. */
  SLIDING_WINDOW(false),
  /** Starts full at {@code burst} tokens and refills continuously at {@code limit / period}. */
  TOKEN_BUCKET(true),
  /** Starts empty and leaks continuously at {@code limit / period}; holds at most {@code burst}. */
  LEAKY_BUCKET(true),
  /** Generic cell rate algorithm: one theoretical arrival time per key. */
  GCRA(true);

  private final boolean hasBurst;

  Algorithm(boolean hasBurst) {
    this.hasBurst = hasBurst;
  }

  /** Whether a burst different from the limit means anything to this algorithm. */
  public boolean hasBurst() {
    return hasBurst;
  }

  /** The lower-case name used in config files and on the command line: {@code token_bucket}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a config name such as {@code token_bucket}.
   *
   * @throws IllegalArgumentException naming the bad value and the accepted ones
   */
  public static Algorithm fromConfigName(String name) {
    for (Algorithm algorithm : values()) {
      if (algorithm.configName().equals(name)) {
        return algorithm;
      }
    }
    throw new IllegalArgumentException(
        "unknown algorithm '" + Printable.escape(name) + "', expected one of " + configNames());
  }

  static String configNames() {
    return Arrays.stream(values()).map(Algorithm::configName).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return configName();
  }
}
