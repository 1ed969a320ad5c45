package dev.sluice.bench;

import dev.sluice.TimeSource;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 * how much of a decision the limiter's own arithmetic and synchronization take.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@State(Scope.Benchmark)
public class DecisionFloor {

  private final TimeSource clock = TimeSource.system();
  private final ConcurrentHashMap<String, Object> map = new ConcurrentHashMap<>();
  private String key;

  @Setup
  public void setUp() {
    key = Workload.keys(1)[0];
    map.put(key, new Object());
  }

  @Benchmark
  public long clock() {
    return clock.nanos();
  }

  @Benchmark
  public long lookupAndClock() {
    return map.get(key).hashCode() + clock.nanos();
  }
}
