package dev.sluice.bench;

import com.google.common.util.concurrent.RateLimiter;
import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/**
 * Throughput of one decision of cost 1 on Sluice's in-memory token bucket, Bucket4j's local
 * bucket and Guava's {@code RateLimiter}, on the same keys, visited in the same order.
 *
 * <p>Bucket4j and Guava keep one limiter per key in a {@code ConcurrentHashMap} filled by
 * {@code computeIfAbsent}, as their users do; Sluice keeps its keys in its own store. Even the
 * hot key goes through each library's map. Each library uses its default clock: Sluice and
 * Guava read {@code System.nanoTime()}, Bucket4j reads {@code System.currentTimeMillis()}.
 *
 * <p>The benchmark methods are inherited by {@link OneThread} and {@link TwoThreads}, which
 * differ only in the thread count, so that one run measures both.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public abstract class TryAcquireBenchmark {

  /** Returns whether Sluice admitted the request, as the peers return a boolean. */
  @Benchmark
  public boolean sluice(SluiceState state, KeyCursor cursor) {
    return state.limiter.tryAcquire(cursor.next(state.keys), 1).allowed();
  }

  /**
   * Returns Sluice's whole decision to the benchmark, so that it escapes as it does when a caller
   * keeps it to write response headers.
   */
  @Benchmark
  public Decision sluiceDecision(SluiceState state, KeyCursor cursor) {
    return state.limiter.tryAcquire(cursor.next(state.keys), 1);
  }

  /** Returns whether Sluice admitted the request, through the call that builds no decision. */
  @Benchmark
  public boolean sluiceAllowed(SluiceState state, KeyCursor cursor) {
    return state.limiter.tryAcquireAllowed(cursor.next(state.keys), 1);
  }

  @Benchmark
  public boolean bucket4j(Bucket4jState state, KeyCursor cursor) {
    return state.buckets.computeIfAbsent(cursor.next(state.keys), state.newBucket).tryConsume(1);
  }

  @Benchmark
  public boolean guava(GuavaState state, KeyCursor cursor) {
    return state.limiters.computeIfAbsent(cursor.next(state.keys), state.newLimiter).tryAcquire();
  }

  /** Sluice's limiter on a default {@code InMemoryStore} and the system time source. */
  public static class SluiceState extends LimiterState {
    dev.sluice.RateLimiter limiter;

    @Override
    void build(boolean denied) {
      Limit limit = denied
          ? Limit.of(Algorithm.TOKEN_BUCKET, 1, Workload.DENIED_PERIOD)
          : Limit.of(Algorithm.TOKEN_BUCKET, Workload.ALLOWED_REFILL_PER_SECOND,
              Duration.ofSeconds(1)).withBurst(Workload.ALLOWED_BURST);
      limiter = dev.sluice.RateLimiter.of(Policy.of("bench", limit));
    }

    @Override
    boolean take(String key) {
      return limiter.tryAcquire(key, 1).allowed();
    }
  }

  /** One Bucket4j local bucket per key, with the library's default lock-free synchronization. */
  public static class Bucket4jState extends LimiterState {
    final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    Function<String, Bucket> newBucket;

    @Override
    void build(boolean denied) {
      Bandwidth bandwidth = denied
          ? Bandwidth.builder().capacity(1).refillIntervally(1, Workload.DENIED_PERIOD).build()
          : Bandwidth.builder().capacity(Workload.ALLOWED_BURST)
              .refillGreedy(Workload.ALLOWED_REFILL_PER_SECOND, Duration.ofSeconds(1)).build();
      newBucket = key -> Bucket.builder().addLimit(bandwidth).build();
    }

    @Override
    boolean take(String key) {
      return buckets.computeIfAbsent(key, newBucket).tryConsume(1);
    }
  }

  /**
   * One Guava limiter per key. Guava's burst is one second of its rate, so "allowed" uses a rate
   * of 10<sup>9</sup> per second, far above what two threads can request.
   */
  public static class GuavaState extends LimiterState {
    final ConcurrentHashMap<String, RateLimiter> limiters = new ConcurrentHashMap<>();
    Function<String, RateLimiter> newLimiter;

    @Override
    void build(boolean denied) {
      double perSecond = denied ? 1.0 / Workload.DENIED_PERIOD.toSeconds() : 1e9;
      newLimiter = key -> RateLimiter.create(perSecond);
    }

    @Override
    boolean take(String key) {
      return limiters.computeIfAbsent(key, newLimiter).tryAcquire();
    }
  }
}
