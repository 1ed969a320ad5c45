package dev.sluice.store;

import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.internal.KeyState;
import dev.sluice.internal.PolicyMeter;
import dev.sluice.internal.Readings;

/** A policy bound to an {@link InMemoryStore}. */
final class InMemoryBinding implements PolicyBinding {

  private final PolicyMeter meter;
  private final KeyTable table;
  private final TimeSource timeSource;
  private final boolean readsWhileWritten;

  InMemoryBinding(PolicyMeter meter, KeyTable table, TimeSource timeSource) {
    this.meter = meter;
    this.table = table;
    this.timeSource = timeSource;
    this.readsWhileWritten = meter.readsWhileWritten();
  }

  @Override
  public Policy policy() {
    return meter.policy();
  }

  /**
   * Decides a tracked key, where the policy's meter allows it, on an unlocked read of its state
   * that is validated afterwards. A denial then writes nothing. An admission takes the state by
   * one compare-and-set, which succeeds only if nothing changed since the read. Everything else
   * goes to {@link #tryAcquireLocked}: a new key, a state to convert after a rebinding, and a
   * read that another thread overtook.
   */
  @Override
  public Decision tryAcquire(String key, long cost, long maxDelayNanos) {
    PolicyBinding.requireValidRequest(key, cost, maxDelayNanos);
    KeyState state = table.get(key);
    if (state != null && readsWhileWritten && !meter.needsConversion(state)) {
      long version = state.version();
      long now = readClock();
      Decision decision = meter.check(state, now, cost, maxDelayNanos);
      if (commit(state, version, now, decision.allowed() ? cost : 0)) {
        return decision;
      }
    }
    return tryAcquireLocked(key, cost, maxDelayNanos);
  }

  /**
   * Decides like {@link #tryAcquire} on the same state, but builds no {@link Decision}, so that
   * deciding a tracked key allocates nothing, unless another thread changes the key between the
   * read and the admission and the decision is made again under the lock.
   */
  @Override
  public boolean tryAcquireAllowed(String key, long cost) {
    PolicyBinding.requireValidRequest(key, cost, Long.MAX_VALUE);
    KeyState state = table.get(key);
    if (state != null && readsWhileWritten && !meter.needsConversion(state)) {
      long version = state.version();
      long now = readClock();
      boolean admitted = meter.admits(state, now, cost, Long.MAX_VALUE);
      if (commit(state, version, now, admitted ? cost : 0)) {
        return admitted;
      }
    }
    return tryAcquireLocked(key, cost, Long.MAX_VALUE).allowed();
  }

  /**
   * Completes a decision made on an unlocked read of {@code state} at {@code version}: charges
   * {@code charge} units if it is positive, and returns false, having changed nothing, when
   * another thread changed the state since the read. A thread that lost the race to admit
   * steps aside (see {@link KeyState#stepAside}) before the caller decides again.
   */
  private boolean commit(KeyState state, long version, long now, long charge) {
    if (charge == 0) {
      return state.validate(version);
    }
    if (!state.tryLock(version)) {
      KeyState.stepAside();
      return false;
    }
    try {
      meter.admit(state, now, charge);
    } finally {
      state.unlock();
    }
    return true;
  }

  /**
   * Decides under the key's lock, reading the clock while holding it, so that every decision on
   * a key reads the state its predecessor left at an earlier or equal time. An admission changes
   * the state in place. A denial changes nothing, except that the first decision under new
   * numbers of a limit, after a rebinding, converts the state written under the old ones.
   */
  private Decision tryAcquireLocked(String key, long cost, long maxDelayNanos) {
    while (true) {
      KeyState state = table.get(key);
      if (state == null) {
        Decision decision = decideNewKey(key, cost, maxDelayNanos);
        if (decision != null) {
          return decision;
        }
      } else if (state.lock()) {
        try {
          long now = readClock();
          if (meter.needsConversion(state)) {
            meter.convert(state, now);
          }
          Decision decision = meter.check(state, now, cost, maxDelayNanos);
          if (decision.allowed() && cost > 0) {
            meter.admit(state, now, cost);
          }
          return decision;
        } finally {
          state.unlock();
        }
      } else {
        table.unlink(key, state);
      }
    }
  }

  /**
   * Decides a key that has no state, from the initial state, and tracks it when admitted.
   * Returns null when another thread tracked the key first, so that the caller decides again.
   */
  private Decision decideNewKey(String key, long cost, long maxDelayNanos) {
    long now = readClock();
    Decision decision = meter.check(null, now, cost, maxDelayNanos);
    if (!decision.allowed() || cost == 0) {
      return decision;
    }
    switch (table.insert(key, meter.admit(null, now, cost), now)) {
      case INSERTED:
        return decision;
      case NO_ROOM:
        return noRoom(decision);
      case RACED:
      default:
        return null;
    }
  }

  private long readClock() {
    return Readings.nanos(timeSource);
  }

  /** Denies a new key that found the store full; it may retry once a second. */
  private static Decision noRoom(Decision wouldHaveBeen) {
    return Decision.deny(
        Limit.KEY_CAP_NAME, wouldHaveBeen.limit(), 0, 0, 1_000_000_000L);
  }
}
