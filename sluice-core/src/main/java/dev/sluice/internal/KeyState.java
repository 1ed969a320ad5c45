package dev.sluice.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * The mutable state of one key under one policy, with the version that guards it. A store keeps
 * this object itself as the key's entry, so that reaching a key's state takes one pointer less
 * than a separate entry would.
 *
 * <p>The version is even while the state is free and odd while a thread changes it; every
 * change adds two. A writer takes the state by compare-and-set from an even version and frees it
 * with a plain store of the next even one. A reader that only decides, such as a denial, reads
 * the version, then the state, then checks that the version is unchanged. It writes nothing to
 * the shared cache line, so threads denying one hot key do not slow each other down. A thread
 * that finds the state taken spins briefly, because the holder keeps it only for one decision's
 * arithmetic, then parks for longer and longer moments. The version is a {@code long} so that
 * it never wraps around.
 */
public abstract class KeyState {

  private static final VarHandle VERSION;
  private static final long REMOVED = -1;
  private static final int SPINS_BEFORE_PARK = 16;
  private static final long MIN_PARK_NANOS = 1_000;
  private static final int MAX_PARK_DOUBLINGS = 6;

  static {
    try {
      VERSION = MethodHandles.lookup().findVarHandle(KeyState.class, "version", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private volatile long version;

  KeyState() {}

  /**
   * Returns the current version, to pass to {@link #validate} or {@link #tryLock(long)} after
   * reading the state. An odd result means that a writer has taken the state or that it was
   * removed, so a read would be useless.
   */
  public final long version() {
    return version;
  }

  /** Returns whether no writer changed or held the state since {@link #version()} returned it. */
  public final boolean validate(long readVersion) {
    VarHandle.acquireFence();
    return (readVersion & 1) == 0 && version == readVersion;
  }

  /**
   * Takes the state for writing if it is still at the version read, which means that whatever
   * was decided on that version still holds.
   */
  public final boolean tryLock(long readVersion) {
    return (readVersion & 1) == 0 && VERSION.compareAndSet(this, readVersion, readVersion + 1);
  }

  /** Takes the state for writing if no writer has taken it, without waiting. */
  public final boolean tryLock() {
    return tryLock(version);
  }

  /** Waits until the state is free and takes it, or returns false if it was removed. */
  public final boolean lock() {
    for (int spins = 0; ; spins++) {
      long current = version;
      if (current == REMOVED) {
        return false;
      }
      if (tryLock(current)) {
        return true;
      }
      backOff(spins);
    }
  }

  /**
   * Waits before the next attempt: spins briefly, then parks for a time that doubles with each
   * failure up to {@link #MAX_PARK_NANOS}. Parking lets the thread that holds the key decide a
   * run of requests undisturbed, where spinning would pull the key's cache line back and forth
   * between cores on every decision.
   */
  private static void backOff(int attempt) {
    if (attempt < SPINS_BEFORE_PARK) {
      Thread.onSpinWait();
    } else {
      int doublings = Math.min(attempt - SPINS_BEFORE_PARK, MAX_PARK_DOUBLINGS);
      LockSupport.parkNanos(MIN_PARK_NANOS << doublings);
    }
  }

  /**
   * Parks the calling thread for a moment, after it lost a race on a key to a thread that is
   * still deciding it. The winner then decides a run of requests with the key's cache line on
   * its own core, where spinning would pull the line back and forth on every decision. The wait
   * asked for is one microsecond, which Linux rounds up to its timer slack, 50 µs by default.
   */
  public static void stepAside() {
    LockSupport.parkNanos(MIN_PARK_NANOS);
  }

  /** Frees the state, publishing what the holder wrote. */
  public final void unlock() {
    VERSION.setRelease(this, version + 1);
  }

  /** Frees the state for good, after the store has removed the key: later locks fail. */
  public final void unlockRemoved() {
    VERSION.setRelease(this, REMOVED);
  }
}
