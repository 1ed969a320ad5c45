package dev.sluice.store;

import dev.sluice.internal.KeyState;
import dev.sluice.internal.PolicyMeter;
import dev.sluice.internal.Usage;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The keys of one policy in an {@link InMemoryStore}, with their states.
 *
 * <p>The map holds each key's {@link KeyState} itself, guarded by the state's lock. Removing a
 * key races with threads deciding it, so the remover holds the lock while it takes the state
 * out of the map and then marks it removed. A thread that was waiting for the lock finds the
 * mark, unlinks the state and starts over from the initial state. Hence no admission is ever
 * written into a state that has left the map.
 */
final class KeyTable {

  /** How many keys a sweep looks at when it has to evict one: a sample, as in Redis. */
  private static final int EVICTION_SAMPLE = 8;

  private final List<String> layout;
  private final InMemoryStore store;
  private final ConcurrentHashMap<String, KeyState> entries = new ConcurrentHashMap<>();
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private volatile PolicyMeter meter;

  /** Set when a rebinding with other limits replaced this table; see {@link #removeAll}. */
  private volatile boolean retired;

  /** The position where the incremental sweep resumes; used only while {@link #sweeping}. */
  private Iterator<Map.Entry<String, KeyState>> cursor;

  KeyTable(List<String> layout, InMemoryStore store) {
    this.layout = layout;
    this.store = store;
  }

  /** The outcome of trying to track a new key. */
  enum Insertion { INSERTED, RACED, NO_ROOM }

  /**
   * The outcome of trying to free a slot. {@code BUSY} means that another thread held the sweep,
   * so the caller should try again.
   */
  enum Room { FREED, NONE, BUSY }

  List<String> layout() {
    return layout;
  }

  void useMeter(PolicyMeter meter) {
    this.meter = meter;
  }

  KeyState get(String key) {
    return entries.get(key);
  }

  /** Unlinks an entry found removed, which the thread that removed it uncounted. */
  void unlink(String key, KeyState entry) {
    entries.remove(key, entry);
  }

  /**
   * Tracks a new key with its first state, making room first if the store is at its cap. The
   * slot is counted before the key is inserted, so that threads inserting at once cannot
   * together pass the cap, as they could by each checking the count and then inserting.
   */
  Insertion insert(String key, KeyState state, long now) {
    AtomicLong tracked = store.trackedKeyCount();
    while (true) {
      long count = tracked.get();
      if (count < store.maxKeys()) {
        if (tracked.compareAndSet(count, count + 1)) {
          break;
        }
        continue;
      }
      Room room = store.makeRoom(this, now);
      if (room == Room.NONE) {
        return Insertion.NO_ROOM;
      }
      if (room == Room.BUSY) {
        Thread.onSpinWait();
        return Insertion.RACED;
      }
    }
    if (entries.putIfAbsent(key, state) != null) {
      tracked.decrementAndGet();
      return Insertion.RACED;
    }
    if (retired && state.lock()) {
      // A binding from before the rebinding decided this key. Its state is dropped at once,
      // because a table that no binding of the store reaches would hold the slot for good.
      remove(key, state);
    }
    sweep(now, 2);
    return Insertion.INSERTED;
  }

  /** Looks at up to {@code budget} keys, resuming where the last sweep stopped. */
  void sweep(long now, int budget) {
    if (!sweeping.compareAndSet(false, true)) {
      return;
    }
    try {
      for (int i = 0; i < budget; i++) {
        Map.Entry<String, KeyState> next = nextInCursor();
        if (next == null) {
          return;
        }
        removeIfResetBy(next.getKey(), next.getValue(), now);
      }
    } finally {
      sweeping.set(false);
    }
  }

  /** Looks at every key once. */
  void sweepAll(long now) {
    for (Map.Entry<String, KeyState> next : entries.entrySet()) {
      removeIfResetBy(next.getKey(), next.getValue(), now);
    }
  }

  /**
   * Frees one slot: removes an expired key from a sample, or, when none has expired and the
   * policy allows it, evicts the sampled key with the least usage (see {@link Usage}).
   */
  Room makeRoom(long now) {
    if (!sweeping.compareAndSet(false, true)) {
      return Room.BUSY;
    }
    try {
      Map.Entry<String, KeyState> victim = takeVictim(now);
      if (victim == null) {
        return Room.NONE;
      }
      remove(victim.getKey(), victim.getValue());
      return Room.FREED;
    } finally {
      sweeping.set(false);
    }
  }

  /**
   * Samples keys and returns, with its lock held, the first expired one, or else, when the
   * policy evicts, the one with the least usage. Returns null when there is none. The least
   * used key so far stays locked while the rest of the sample is read, so each key is locked
   * once and the key returned is still in the state that was compared. Meanwhile a decision on
   * that key waits. Keys that a decision holds are passed over, and only
   * {@link KeyState#tryLock()} is called, so this thread never waits for a key's lock while it
   * holds one.
   */
  private Map.Entry<String, KeyState> takeVictim(long now) {
    boolean evicts = store.atCapacity() == AtCapacity.EVICT_SOONEST_RESET;
    Map.Entry<String, KeyState> least = null;
    Usage leastUsage = null;
    for (int i = 0; i < EVICTION_SAMPLE; i++) {
      Map.Entry<String, KeyState> next = nextInCursor();
      if (next == null) {
        break;
      }
      if (!next.getValue().tryLock()) {
        continue;
      }
      Usage usage = usageLocked(next.getValue(), least, now);
      boolean expired = usage.resetAt() <= now;
      if (expired || (evicts && (leastUsage == null || usage.compareTo(leastUsage) < 0))) {
        unlockIfHeld(least);
        least = next;
        leastUsage = usage;
        if (expired) {
          break;
        }
      } else {
        next.getValue().unlock();
      }
    }
    return least;
  }

  /**
   * Returns the usage of the locked entry's key. If that fails, unlocks the entry and the
   * sample's locked candidate before the failure propagates.
   */
  private Usage usageLocked(
      KeyState entry, Map.Entry<String, KeyState> candidate, long now) {
    try {
      // As the next decision would, so that a rebinding's new numbers rank the key.
      if (meter.needsConversion(entry)) {
        meter.convert(entry, now);
      }
      return meter.usage(entry, now);
    } catch (RuntimeException | Error e) {
      entry.unlock();
      unlockIfHeld(candidate);
      throw e;
    }
  }

  private static void unlockIfHeld(Map.Entry<String, KeyState> candidate) {
    if (candidate != null) {
      candidate.getValue().unlock();
    }
  }

  /**
   * Removes every key, for a table that a rebinding with other limits has replaced. A key
   * that an older binding inserts later is removed either by {@link #insert}, which then finds
   * the table retired, or by this loop, which then finds the key. The flag is set before the
   * loop reads the entries, and {@link #insert} reads it after adding its entry.
   */
  void removeAll() {
    retired = true;
    for (Map.Entry<String, KeyState> next : entries.entrySet()) {
      KeyState entry = next.getValue();
      if (entry.lock()) {
        remove(next.getKey(), entry);
      }
    }
  }

  private Map.Entry<String, KeyState> nextInCursor() {
    if (cursor == null || !cursor.hasNext()) {
      cursor = entries.entrySet().iterator();
      if (!cursor.hasNext()) {
        return null;
      }
    }
    return cursor.next();
  }

  /**
   * Removes the entry if its state is back to its initial state by {@code time}; a decision
   * that holds its lock keeps it. Returns whether it was removed.
   */
  private boolean removeIfResetBy(String key, KeyState entry, long time) {
    if (!entry.tryLock()) {
      return false;
    }
    boolean reset = false;
    try {
      reset = meter.resetAt(entry) <= time;
    } finally {
      if (!reset) {
        entry.unlock();
      }
    }
    if (reset) {
      remove(key, entry);
    }
    return reset;
  }

  /** Removes an entry whose lock the caller holds, and releases the lock for good. */
  private void remove(String key, KeyState entry) {
    entries.remove(key, entry);
    store.trackedKeyCount().decrementAndGet();
    entry.unlockRemoved();
  }
}
