package dev.sluice.store;

import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.internal.Durations;
import dev.sluice.internal.PolicyMeter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the state of every key in this process, in concurrent hash maps.
 *
 * <p><b>Concurrency.</b> Each key's state has a version of its own (see
 * {@link dev.sluice.internal.KeyState}). An admission takes the state by one compare-and-set and
 * changes it in place, so N threads on one key together admit exactly what the limits allow.
 * A thread deciding a tracked key waits only for threads deciding the same key. For
 * {@code token_bucket}, {@code leaky_bucket}, {@code gcra} and {@code fixed_window} policies of
 * one limit, a denial reads the state without taking it and writes nothing. Other policies
 * decide under the key's lock. Once a key is tracked, deciding it allocates nothing but the
 * returned {@link dev.sluice.Decision} and, for {@code sliding_log}, the log's arrays.
 *
 * <p><b>Memory.</b> A key that has never been admitted, or whose state is back to its initial
 * state (a full bucket, an expired window), needs no memory and is removed. Removal is
 * incremental: each new key makes the store look at two tracked keys and remove those that have
 * expired, and {@link #cleanUp()} examines all of them; neither stops other threads. At most
 * {@link Builder#maxKeys(long)} keys are tracked; what happens beyond that is set by
 * {@link AtCapacity}. At the cap, one thread at a time looks for a key to remove, and a new key
 * that finds another thread looking spins until it can look itself. A new key's slot is
 * counted before the key is inserted, so threads inserting at once never pass the cap.
 *
 * <p><b>Rebinding.</b> Binding a policy with other limits under the same name forgets the keys of
 * the old limits. A binding obtained before that still decides, but keeps no state: each of its
 * requests is decided as if its key were new, so callers should switch to the new binding. A
 * request in flight during the rebinding may thus be admitted once more than the old limits
 * allowed. Keeping that state would hold slots of the cap that nothing could free.
 */
public final class InMemoryStore implements RateLimitStore {

  /** The default cap on tracked keys: about 150 MB of state for token buckets. */
  public static final long DEFAULT_MAX_KEYS = 1_000_000;

  private final TimeSource timeSource;
  private final long maxKeys;
  private final AtCapacity atCapacity;
  private final AtomicLong trackedKeys = new AtomicLong();
  private final ConcurrentHashMap<String, KeyTable> tables = new ConcurrentHashMap<>();

  private InMemoryStore(Builder builder) {
    this.timeSource = builder.timeSource;
    this.maxKeys = builder.maxKeys;
    this.atCapacity = builder.atCapacity;
  }

  /** Returns the time source that this store's decisions read. */
  public TimeSource timeSource() {
    return timeSource;
  }

  @Override
  public Optional<TimeSource> decisionTimeSource() {
    return Optional.of(timeSource);
  }

  /** Returns a store on the system time source with the default cap. */
  public static InMemoryStore create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public PolicyBinding bind(Policy policy) {
    Objects.requireNonNull(policy, "policy");
    List<String> layout = layoutOf(policy);
    KeyTable table = tables.compute(policy.name(), (name, existing) -> {
      if (existing != null && existing.layout().equals(layout)) {
        return existing;
      }
      if (existing != null) {
        existing.removeAll();
      }
      return new KeyTable(layout, this);
    });
    PolicyMeter meter = new PolicyMeter(policy);
    table.useMeter(meter);
    return new InMemoryBinding(meter, table, timeSource);
  }

  /** The number of keys whose state is tracked, over all policies. */
  public long trackedKeys() {
    return trackedKeys.get();
  }

  /**
   * Removes every key whose state is back to its initial state. Runs alongside decisions without
   * blocking them; the service calls it periodically, an embedding application may too.
   */
  public void cleanUp() {
    long now = timeSource.nanos();
    for (KeyTable table : tables.values()) {
      table.sweepAll(now);
    }
  }

  /**
   * Frees one slot under the cap, which counts the keys of all policies: first among the keys of
   * the policy that needs the slot, then among those of the others. Returns
   * {@link KeyTable.Room#BUSY} when no slot was freed but one may be on a second try.
   */
  KeyTable.Room makeRoom(KeyTable first, long now) {
    KeyTable.Room room = first.makeRoom(now);
    // While another thread samples the policy's own keys, the other policies' keys are not
    // sampled: their least used key could be one at its limit, with lighter keys in this one.
    if (room == KeyTable.Room.BUSY) {
      return atCapacity == AtCapacity.DENY_NEW_KEYS ? KeyTable.Room.NONE : room;
    }
    for (KeyTable table : tables.values()) {
      if (room == KeyTable.Room.FREED) {
        break;
      }
      if (table == first) {
        continue;
      }
      KeyTable.Room other = table.makeRoom(now);
      if (other != KeyTable.Room.NONE) {
        room = other;
      }
    }
    // Denying new keys never evicts, so looking again could only find a key that expired just
    // now, while threads that all retry on a busy table could keep each other from progress.
    if (room == KeyTable.Room.BUSY && atCapacity == AtCapacity.DENY_NEW_KEYS) {
      return KeyTable.Room.NONE;
    }
    return room;
  }

  long maxKeys() {
    return maxKeys;
  }

  AtCapacity atCapacity() {
    return atCapacity;
  }

  AtomicLong trackedKeyCount() {
    return trackedKeys;
  }

  /**
   * Returns what must stay the same for a rebinding to keep the keys' state: each limit's
   * algorithm, and its name unless it is the default name. A default name such as
   * {@code 100/1m} changes with the numbers, so an unnamed limit is matched by position;
   * otherwise lowering an unnamed limit would reset every key instead of applying at once.
   */
  private static List<String> layoutOf(Policy policy) {
    List<Limit> limits = policy.limits();
    List<String> layout = new ArrayList<>(limits.size());
    for (int i = 0; i < limits.size(); i++) {
      Limit limit = limits.get(i);
      String identity = hasDefaultName(limit) ? "#" + i : limit.name();
      layout.add(identity + ":" + limit.algorithm());
    }
    return layout;
  }

  private static boolean hasDefaultName(Limit limit) {
    return limit.name().equals(limit.limit() + "/" + Durations.format(limit.period()));
  }

  /** Options of an {@link InMemoryStore}. */
  public static final class Builder {
    private TimeSource timeSource = TimeSource.system();
    private long maxKeys = DEFAULT_MAX_KEYS;
    private AtCapacity atCapacity = AtCapacity.EVICT_SOONEST_RESET;

    private Builder() {}

    /** Sets where time is read; by default {@link TimeSource#system()}. */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /** Sets the cap on tracked keys, over all policies; by default {@value DEFAULT_MAX_KEYS}. */
    public Builder maxKeys(long maxKeys) {
      if (maxKeys < 1) {
        throw new IllegalArgumentException("maxKeys must be at least 1, got " + maxKeys);
      }
      this.maxKeys = maxKeys;
      return this;
    }

    /** Sets what happens to a new key at the cap; by default evict the soonest to reset. */
    public Builder atCapacity(AtCapacity atCapacity) {
      this.atCapacity = Objects.requireNonNull(atCapacity, "atCapacity");
      return this;
    }

    public InMemoryStore build() {
      return new InMemoryStore(this);
    }
  }
}
