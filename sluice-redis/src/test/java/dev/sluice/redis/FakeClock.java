package dev.sluice.redis;

import dev.sluice.TimeSource;

/**
 * A time source that moves only when told; {@link #sleepNanos} advances it. It can also move
 * back, which a real time source must not do but racing requests can look like to a store.
 */
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

  /**
   * Moves the clock back, as a request does that read the time just before another request
   * that was decided first.
   */
  synchronized void rewind(long duration) {
    if (duration < 0) {
      throw new IllegalArgumentException("duration must be at least 0, got " + duration);
    }
    nanos = Math.subtractExact(nanos, duration);
  }

  synchronized void advance(long duration) {
    if (duration < 0) {
      throw new IllegalArgumentException("duration must be at least 0, got " + duration);
    }
    nanos = Math.addExact(nanos, duration);
  }
}
