package dev.sluice.store;

import dev.sluice.Decision;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.internal.PolicyMeter;
import java.util.Objects;

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
   */
  @Override
  public Decision tryAcquire(String key, long cost, long maxDelayNanos) {
    Objects.requireNonNull(key, "key");
    if (cost < 0) {
      throw new IllegalArgumentException("cost must be at least 0, got " + cost);
    }
    if (maxDelayNanos < 0) {
      throw new IllegalArgumentException("maxDelayNanos must be at least 0, got " + maxDelayNanos);
    }
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
