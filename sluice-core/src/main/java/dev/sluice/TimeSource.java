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

  /**
   * The latest reading a store accepts: 2<sup>62</sup> ns, early in the year 2116. With it, no
   * window end, refill time or reset time can overflow 64-bit arithmetic.
   */
  long MAX_NANOS = 1L << 62;

  /**
   * Returns nanoseconds since 1970-01-01T00:00:00Z, from 0 to {@link #MAX_NANOS}; must not go
   * backwards. The in-memory store, and the Redis store on the client's time, reject a reading
   * outside that range with an {@link IllegalStateException}.
   */
  long nanos();

  /**
   * Waits for the given number of nanoseconds. A fake time source must override this to advance
   * its own time: {@link RateLimiter#acquire} waits by calling it and then reads {@link #nanos()}
   * again, so with a clock that never moves it would wait for ever.
   */
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
