package dev.sluice.server.replay;

import dev.sluice.TimeSource;

/** A time source that reads the time of the event being replayed; it never sleeps. */
final class VirtualClock implements TimeSource {

  private long nanos;

  @Override
  public long nanos() {
    return nanos;
  }

  /** Moves the clock to {@code nanos}, which must not be earlier than the current reading. */
  void advanceTo(long nanos) {
    if (nanos < this.nanos) {
      throw new IllegalStateException(
          "the virtual clock must not go backwards, from " + this.nanos + " to " + nanos);
    }
    this.nanos = nanos;
  }

  @Override
  public void sleepNanos(long nanos) {
    throw new UnsupportedOperationException("a replay decides without waiting");
  }
}
