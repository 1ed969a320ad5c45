package dev.sluice.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The mutable state of one key under one policy, with the lock that guards it. A store keeps
 * this object itself as the key's entry, so that reaching a key's state takes one pointer less
 * than a separate entry would.
 *
 * <p>The lock is a word changed by compare-and-set rather than a monitor: taking it costs one
 * atomic instruction, and releasing it a plain store. A thread that finds it taken spins
 * briefly, then yields, because the holder keeps it only for one decision's arithmetic.
 */
public abstract class KeyState {

  private static final VarHandle LOCK;
  private static final int FREE = 0;
  private static final int HELD = 1;
  private static final int REMOVED = -1;
  private static final int SPINS_BEFORE_YIELD = 64;

  static {
    try {
      LOCK = MethodHandles.lookup().findVarHandle(KeyState.class, "lock", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private volatile int lock;

  KeyState() {}

  /** Waits for the lock and takes it, or returns false if the state was removed. */
  public final boolean lock() {
    for (int spins = 0; ; spins++) {
      if (LOCK.compareAndSet(this, FREE, HELD)) {
        return true;
      }
      if (lock == REMOVED) {
        return false;
      }
      if (spins < SPINS_BEFORE_YIELD) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  /** Takes the lock if it is free, without waiting. */
  public final boolean tryLock() {
    return LOCK.compareAndSet(this, FREE, HELD);
  }

  public final void unlock() {
    LOCK.setRelease(this, FREE);
  }

  /** Releases the lock for good, after the store has removed the key: later locks fail. */
  public final void unlockRemoved() {
    LOCK.setRelease(this, REMOVED);
  }
}
