package dev.sluice;

import java.util.concurrent.TimeUnit;

/**
 * Where a limiter reads the time and how it waits. Tests inject a fake one that moves only
 * when told, so that no test sleeps.
 *
 * <p>{@link #nanos()} returns nanoseconds since the Unix epoch. Fixed and sliding windows are
 * aligned to that epoch, so a window of one minute starts on the minute.
 */
public interface TimeSource {

  /** Nanoseconds since 1970-01-01T00:00:00Z; must not go backwards. */
  long nanos();

  /** Waits for the given number of nanoseconds; a fake time source advances its time instead. */
  default void sleepNanos(long nanos) throws InterruptedException {
    if (nanos > 0) {
      TimeUnit.NANOSECONDS.sleep(nanos);
    }
  }

  /**
   * Returns the default time source: the wall clock read once at start, then advanced by
   * {@link System#nanoTime()}, so that it is aligned to the epoch and never goes backwards even
   * when the wall clock is stepped.
   */
  static TimeSource system() {
    return SystemTimeSource.INSTANCE;
  }
}
