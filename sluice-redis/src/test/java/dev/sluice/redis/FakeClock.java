package dev.sluice.redis;

import dev.sluice.TimeSource;

/** A time source that moves only when told; {@link #sleepNanos} advances it. */
final class FakeClock implements TimeSource {

  private long nanos;

  FakeClock(long startNanos) {
    this.nanos = startNanos;
  }

  @Override
  public synchronized long nanos() {
    return nanos;
  }

  @Override
  public synchronized void sleepNanos(long duration) {
    advance(duration);
  }

  synchronized void advance(long duration) {
    if (duration < 0) {
      throw new IllegalArgumentException("duration must be at least 0, got " + duration);
    }
    nanos = Math.addExact(nanos, duration);
  }
}
