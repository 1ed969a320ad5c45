package dev.sluice.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The parameters every library's state shares: how many keys, and whether the limit admits
 * every request or none. Setup takes one unit on every key, which exhausts it for
 * {@code denied}, then checks that a second request gets the outcome to be measured.
 */
@State(Scope.Benchmark)
public abstract class LimiterState {

  /** Number of distinct keys: one hot key, or 100,000 keys. */
  @Param({"1", "100000"})
  public int keyCount;

  /** {@code allowed}: the limit admits every request; {@code denied}: it admits none. */
  @Param({"allowed", "denied"})
  public String outcome;

  /** The keys, in the order the threads visit them. */
  public String[] keys;

  @Setup(Level.Trial)
  public void setUpKeys() {
    keys = Workload.keys(keyCount);
    boolean denied = switch (outcome) {
      case "allowed" -> false;
      case "denied" -> true;
      default -> throw new IllegalArgumentException(
          "outcome must be allowed or denied, got " + outcome);
    };
    build(denied);
    for (String key : keys) {
      requireOutcome(key, true);
    }
    for (String key : keys) {
      requireOutcome(key, !denied);
    }
  }

  /** Builds the limiter, with a limit that admits everything or only one unit per key. */
  abstract void build(boolean denied);

  /** Takes one unit for {@code key}, as the benchmark does, and returns whether it was admitted. */
  abstract boolean take(String key);

  /** Takes one unit for {@code key} and fails the setup unless the outcome is as expected. */
  private void requireOutcome(String key, boolean expected) {
    boolean admitted = take(key);
    if (admitted != expected) {
      throw new IllegalStateException("setup for outcome " + outcome + ": key " + key
          + " returned admitted=" + admitted + ", expected " + expected);
    }
  }
}
