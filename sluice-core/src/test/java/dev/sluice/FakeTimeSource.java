package dev.sluice;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A time source that moves only when a test tells it to. {@link #sleepNanos} advances the time
 * instead of blocking, so a blocking call returns at once with the clock where it would have
 * woken up.
 */
public final class FakeTimeSource implements TimeSource {

  /** 2026-01-01T00:00:00Z, a whole number of days since the epoch, so aligned to any window. */
  public static final long START_NANOS = 1_767_225_600L * 1_000_000_000L;

  private final AtomicLong nanos;

  public FakeTimeSource() {
    this(START_NANOS);
  }

  public FakeTimeSource(long startNanos) {
    this.nanos = new AtomicLong(startNanos);
  }

  @Override
  public long nanos() {
    return nanos.get();
  }

  @Override
  public void sleepNanos(long sleep) {
    if (sleep > 0) {
      nanos.addAndGet(sleep);
    }
  }

  /** Moves the time forward by {@code delta}. */
  public void advance(Duration delta) {
    advanceNanos(delta.toNanos());
  }

  /** Moves the time forward by {@code delta} nanoseconds. */
  public void advanceNanos(long delta) {
    nanos.addAndGet(delta);
  }

  /** Sets the time to {@link #START_NANOS} plus {@code offset}. */
  public void setSinceStart(Duration offset) {
    setSinceStartNanos(offset.toNanos());
  }

  /** Sets the time to {@link #START_NANOS} plus {@code offset} nanoseconds. */
  public void setSinceStartNanos(long offset) {
    nanos.set(START_NANOS + offset);
  }

  /** Returns the nanoseconds elapsed since {@link #START_NANOS}. */
  public long sinceStartNanos() {
    return nanos.get() - START_NANOS;
  }
}
