package dev.sluice.bench;

import java.time.Duration;
import java.util.Random;

/**
 * The shared shape of every benchmark and heap measurement: which keys are used, and the limits
 * that make every request pass or every request fail for the length of a run.
 *
 * <p>Keys are pre-built strings of the same form for every library ({@code user-00001234}),
 * shuffled once with a fixed seed so that visiting them in array order touches the hash maps
 * in no particular order.
 */
public final class Workload {

  /**
   * Burst of the "allowed" limits: 3 × 10<sup>9</sup> units refilling at 1 per second. No run
   * can exhaust it (a hot key at 50 million decisions per second needs a minute), and because
   * the refill is slow, a key that took units stays out of its initial state for the run.
   */
  public static final long ALLOWED_BURST = 3_000_000_000L;

  /** Refill rate of the "allowed" limits, in units per second. */
  public static final long ALLOWED_REFILL_PER_SECOND = 1;

  /**
   * Period of the "denied" limits: one unit per 3,650 days, taken in setup, so that every
   * decision during the run is a denial.
   */
  public static final Duration DENIED_PERIOD = Duration.ofDays(3_650);

  private Workload() {}

  /** Returns {@code count} distinct keys in a fixed pseudo-random order. */
  public static String[] keys(int count) {
    String[] keys = new String[count];
    for (int i = 0; i < count; i++) {
      keys[i] = String.format("user-%08d", i);
    }
    Random random = new Random(42);
    for (int i = count - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      String swap = keys[i];
      keys[i] = keys[j];
      keys[j] = swap;
    }
    return keys;
  }
}
