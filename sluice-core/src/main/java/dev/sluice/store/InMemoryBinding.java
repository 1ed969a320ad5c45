package dev.sluice.store;

import dev.sluice.Decision;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.internal.PolicyMeter;

/** A policy bound to an {@link InMemoryStore}. */
final class InMemoryBinding implements PolicyBinding {

  private final PolicyMeter meter;
  private final KeyTable table;
  private final TimeSource timeSource;

  InMemoryBinding(PolicyMeter meter, KeyTable table, TimeSource timeSource) {
    this.meter = meter;
    this.table = table;
    this.timeSource = timeSource;
  }

  @Override
  public Policy policy() {
    return meter.policy();
  }

  /**
   * Decides by optimistic concurrency: read the state, decide, and swap in the state that
   * follows the admission; if another thread changed the state in between, decide again on the
   * new state with a fresh reading of the clock. A denial writes nothing.
   *
   * <p>The common case, a tracked key decided without contention, is decided here in a few lines;
   * new keys, removed entries and lost races go to a separate loop.
   */
  @Override
  public Decision tryAcquire(String key, long cost, long maxDelayNanos) {
    PolicyBinding.requireValidRequest(key, cost, maxDelayNanos);
    KeyTable.Entry entry = table.get(key);
    if (entry != null) {
      Object state = entry.state;
      if (state != KeyTable.REMOVED) {
        long now = readClock();
        Decision decision = meter.check(state, now, cost, maxDelayNanos);
        if (!decision.allowed() || cost == 0
            || entry.compareAndSet(state, meter.admit(state, now, cost))) {
          return decision;
        }
      }
    }
    return tryAcquireContended(key, cost, maxDelayNanos);
  }

  /**
   * Decides like {@link #tryAcquire} on the same state, but builds no {@link Decision}: a denial
   * allocates nothing, and an admission only the key's new state.
   */
  @Override
  public boolean tryAcquireAllowed(String key, long cost) {
    PolicyBinding.requireValidRequest(key, cost, Long.MAX_VALUE);
    KeyTable.Entry entry = table.get(key);
    if (entry != null) {
      Object state = entry.state;
      if (state != KeyTable.REMOVED) {
        long now = readClock();
        if (!meter.admits(state, now, cost, Long.MAX_VALUE)) {
          return false;
        }
        if (cost == 0 || entry.compareAndSet(state, meter.admit(state, now, cost))) {
          return true;
        }
      }
    }
    return tryAcquireContended(key, cost, Long.MAX_VALUE).allowed();
  }

  /** Decides in the full loop, which handles new keys, removed entries and lost races. */
  private Decision tryAcquireContended(String key, long cost, long maxDelayNanos) {
    while (true) {
      KeyTable.Entry entry = table.get(key);
      Object state = entry == null ? null : entry.state;
      if (state == KeyTable.REMOVED) {
        table.unlink(key, entry);
        continue;
      }
      long now = readClock();
      Decision decision = meter.check(state, now, cost, maxDelayNanos);
      if (!decision.allowed() || cost == 0) {
        return decision;
      }
      Object next = meter.admit(state, now, cost);
      if (entry != null) {
        if (entry.compareAndSet(state, next)) {
          return decision;
        }
        continue;
      }
      switch (table.insert(key, next, now)) {
        case INSERTED:
          return decision;
        case NO_ROOM:
          return noRoom(decision);
        case RACED:
        default:
          break;
      }
    }
  }

  private long readClock() {
    long now = timeSource.nanos();
    if (now < 0 || now > TimeSource.MAX_NANOS) {
      throw new IllegalStateException("time source returned " + now
          + " ns; expected nanoseconds since the Unix epoch from 0 to " + TimeSource.MAX_NANOS);
    }
    return now;
  }

  /** Denies a new key that found the store full; it may retry once a second. */
  private static Decision noRoom(Decision wouldHaveBeen) {
    return Decision.deny(
        "max_keys", wouldHaveBeen.limit(), 0, 0, 1_000_000_000L);
  }
}
