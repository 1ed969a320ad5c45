package dev.sluice.server.http;

import dev.sluice.TimeSource;
import java.util.concurrent.atomic.AtomicLong;

/** A time source that moves only when a test advances it. */
final class ManualTimeSource implements TimeSource {

  private final AtomicLong nanos;

  ManualTimeSource(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  @Override
  public long nanos() {
    return nanos.get();
  }

  @Override
  public void sleepNanos(long duration) {
    nanos.addAndGet(duration);
  }

  void advanceNanos(long duration) {
    nanos.addAndGet(duration);
  }
}
