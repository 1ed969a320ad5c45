package dev.sluice.bench;

import dev.sluice.TimeSource;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * The work every library's hot-key decision shares, measured alone: one clock reading, and one
 * clock reading plus one map lookup. No limiter can decide faster than this floor, so it shows
 * how much of a decision the limiter's own arithmetic and synchronization take. A limiter that
 * is safe for several threads must also change a key's state atomically when it admits a
 * request: {@code lookupClockAndCompareAndSet} adds the cheapest such change, one
 * compare-and-set of one number.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@State(Scope.Benchmark)
public class DecisionFloor {

  private final TimeSource clock = TimeSource.system();
  private final ConcurrentHashMap<String, Object> map = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicLong> states = new ConcurrentHashMap<>();
  private String key;

  @Setup
  public void setUp() {
    key = Workload.keys(1)[0];
    map.put(key, new Object());
    states.put(key, new AtomicLong());
  }

  @Benchmark
  public long clock() {
    return clock.nanos();
  }

  @Benchmark
  public long lookupAndClock() {
    return map.get(key).hashCode() + clock.nanos();
  }

  @Benchmark
  public boolean lookupClockAndCompareAndSet() {
    AtomicLong state = states.get(key);
    long seen = state.get();
    return state.compareAndSet(seen, clock.nanos());
  }
}
