package dev.sluice;

import java.time.Instant;

/** The wall clock sampled once, advanced monotonically by {@link System#nanoTime()}. */
final class SystemTimeSource implements TimeSource {

  static final SystemTimeSource INSTANCE = new SystemTimeSource();

  private final long epochNanosAtStart;
  private final long nanoTimeAtStart;

  private SystemTimeSource() {
    Instant now = Instant.now();
    nanoTimeAtStart = System.nanoTime();
    epochNanosAtStart = now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  @Override
  public long nanos() {
    return epochNanosAtStart + (System.nanoTime() - nanoTimeAtStart);
  }
}
