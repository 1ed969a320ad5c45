package dev.sluice.bench;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * One thread's walk over the key array, round-robin. Threads start half a key array apart so
 * that two threads on 100,000 keys rarely decide the same key at the same instant, as in a
 * service with many clients.
 */
@State(Scope.Thread)
public class KeyCursor {

  private int next;

  @Setup
  public void setUp(ThreadParams thread) {
    next = thread.getThreadIndex() * 50_000;
  }

  /** Returns the next key of {@code keys}, wrapping around at the end. */
  public String next(String[] keys) {
    int index = next;
    if (index >= keys.length) {
      index = 0;
    }
    next = index + 1;
    return keys[index];
  }
}
