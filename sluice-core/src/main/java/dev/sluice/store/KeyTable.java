package dev.sluice.store;

import dev.sluice.internal.PolicyMeter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The keys of one policy in an {@link InMemoryStore}, with their states.
 *
 * <p>Removing a key races with threads deciding it. The remover first swaps the entry's state
 * for {@link #REMOVED} by compare-and-set, so a decision that read the old state fails its own
 * compare-and-set; a thread that finds {@link #REMOVED} unlinks the entry and starts over with a
 * fresh one. Hence no admission is ever written into an entry that has left the map.
 */
final class KeyTable {

  static final Object REMOVED = new Object();

  /** How many keys a sweep looks at when it has to evict one: a sample, as in Redis. */
  private static final int EVICTION_SAMPLE = 8;

  private final List<String> layout;
  private final InMemoryStore store;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private volatile PolicyMeter meter;

  /** The position where the incremental sweep resumes; used only while {@link #sweeping}. */
  private Iterator<Map.Entry<String, Entry>> cursor;

  KeyTable(List<String> layout, InMemoryStore store) {
    this.layout = layout;
    this.store = store;
  }

  /** One key's state, replaced as a whole by compare-and-set. */
  static final class Entry {
    private static final VarHandle STATE;

    static {
      try {
        STATE = MethodHandles.lookup().findVarHandle(Entry.class, "state", Object.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    volatile Object state;

    Entry(Object state) {
      this.state = state;
    }

    boolean compareAndSet(Object expected, Object next) {
      return STATE.compareAndSet(this, expected, next);
    }
  }

  /** The outcome of trying to track a new key. */
  enum Insertion { INSERTED, RACED, NO_ROOM }

  /**
   * The outcome of trying to free a slot. {@code BUSY} means that another thread held the sweep
   * or changed the chosen key, so the caller should try again.
   */
  enum Room { FREED, NONE, BUSY }

  List<String> layout() {
    return layout;
  }

  void useMeter(PolicyMeter meter) {
    this.meter = meter;
  }

  Entry get(String key) {
    return entries.get(key);
  }

  /** Unlinks an entry found {@link #REMOVED}, which the thread that removed it uncounted. */
  void unlink(String key, Entry entry) {
    entries.remove(key, entry);
  }

  /** Tracks a new key with its first state, making room first if the store is at its cap. */
  Insertion insert(String key, Object state, long now) {
    if (store.trackedKeyCount().get() >= store.maxKeys()) {
      Room room = store.makeRoom(this, now);
      if (room == Room.NONE) {
        return Insertion.NO_ROOM;
      }
      if (room == Room.BUSY) {
        Thread.onSpinWait();
        return Insertion.RACED;
      }
    }
    if (entries.putIfAbsent(key, new Entry(state)) != null) {
      return Insertion.RACED;
    }
    store.trackedKeyCount().incrementAndGet();
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
        Map.Entry<String, Entry> next = nextInCursor();
        if (next == null) {
          return;
        }
        removeIfExpired(next.getKey(), next.getValue(), now);
      }
    } finally {
      sweeping.set(false);
    }
  }

  /** Looks at every key once. */
  void sweepAll(long now) {
    for (Map.Entry<String, Entry> next : entries.entrySet()) {
      removeIfExpired(next.getKey(), next.getValue(), now);
    }
  }

  /**
   * Frees one slot: removes expired keys from a sample, or, when none has expired and the
   * policy allows it, evicts the sampled key closest to its reset.
   */
  Room makeRoom(long now) {
    if (!sweeping.compareAndSet(false, true)) {
      return Room.BUSY;
    }
    try {
      String victimKey = null;
      Entry victim = null;
      Object victimState = null;
      long victimResetAt = Long.MAX_VALUE;
      for (int i = 0; i < EVICTION_SAMPLE; i++) {
        Map.Entry<String, Entry> next = nextInCursor();
        if (next == null) {
          break;
        }
        Object state = next.getValue().state;
        if (state == REMOVED) {
          continue;
        }
        long resetAt = meter.resetAt(state);
        if (resetAt <= now && remove(next.getKey(), next.getValue(), state)) {
          return Room.FREED;
        }
        if (resetAt < victimResetAt) {
          victimKey = next.getKey();
          victim = next.getValue();
          victimState = state;
          victimResetAt = resetAt;
        }
      }
      if (store.atCapacity() != AtCapacity.EVICT_SOONEST_RESET || victim == null) {
        return Room.NONE;
      }
      return remove(victimKey, victim, victimState) ? Room.FREED : Room.BUSY;
    } finally {
      sweeping.set(false);
    }
  }

  /** Removes every key, for a table that a rebinding with other limits has replaced. */
  void removeAll() {
    for (Map.Entry<String, Entry> next : entries.entrySet()) {
      Entry entry = next.getValue();
      Object state = entry.state;
      while (state != REMOVED && !remove(next.getKey(), entry, state)) {
        state = entry.state;
      }
    }
  }

  private Map.Entry<String, Entry> nextInCursor() {
    if (cursor == null || !cursor.hasNext()) {
      cursor = entries.entrySet().iterator();
      if (!cursor.hasNext()) {
        return null;
      }
    }
    return cursor.next();
  }

  private void removeIfExpired(String key, Entry entry, long now) {
    Object state = entry.state;
    if (state != REMOVED && meter.resetAt(state) <= now) {
      remove(key, entry, state);
    }
  }

  private boolean remove(String key, Entry entry, Object state) {
    if (!entry.compareAndSet(state, REMOVED)) {
      return false;
    }
    entries.remove(key, entry);
    store.trackedKeyCount().decrementAndGet();
    return true;
  }
}
