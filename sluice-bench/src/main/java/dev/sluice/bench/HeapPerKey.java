package dev.sluice.bench;

import com.google.common.util.concurrent.RateLimiter;
import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;

/**
 * Prints the heap bytes each library needs per active key: the key string, the map entry and
 * the limiter state. JOL measures the whole object graph with N keys, and the size of the same
 * graph with no keys is subtracted.
 *
 * <p>Every key has taken one unit of a limit of 100 per hour, so no library can treat it as
 * idle: Sluice removes a key only once it is back to its initial state, 36 seconds later, far
 * more than filling the keys takes even on a busy machine. Run with
 * {@code java -Djdk.attach.allowAttachSelf=true -cp sluice-bench/target/benchmarks.jar
 * dev.sluice.bench.HeapPerKey [keyCount]}; the default key count is 100,000.
 */
public final class HeapPerKey {

  private static final long LIMIT = 100;
  private static final Duration PERIOD = Duration.ofHours(1);

  private HeapPerKey() {}

  public static void main(String[] args) {
    int keyCount = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    String[] keys = Workload.keys(keyCount);
    System.out.println(VM.current().details());
    System.out.printf("%-10s %14s %10s%n", "library", "bytes", "bytes/key");
    print("sluice", sluice(keys), keyCount);
    print("bucket4j", bucket4j(keys), keyCount);
    print("guava", guava(keys), keyCount);
  }

  /** Returns the growth of a store's object graph after every key took one unit. */
  static long sluice(String[] keys) {
    Policy policy = Policy.of("heap", Limit.of(Algorithm.TOKEN_BUCKET, LIMIT, PERIOD));
    InMemoryStore empty = InMemoryStore.create();
    dev.sluice.RateLimiter.builder(policy).store(empty).build();
    InMemoryStore store = InMemoryStore.create();
    dev.sluice.RateLimiter limiter = dev.sluice.RateLimiter.builder(policy).store(store).build();
    for (String key : keys) {
      requireAdmitted(limiter.tryAcquire(key, 1).allowed(), key);
    }
    if (store.trackedKeys() != keys.length) {
      throw new IllegalStateException(
          "store tracks " + store.trackedKeys() + " keys, expected " + keys.length);
    }
    return size(store) - size(empty);
  }

  static long bucket4j(String[] keys) {
    Bandwidth bandwidth = Bandwidth.builder().capacity(LIMIT).refillGreedy(LIMIT, PERIOD).build();
    ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    long empty = size(buckets);
    for (String key : keys) {
      Bucket bucket =
          buckets.computeIfAbsent(key, k -> Bucket.builder().addLimit(bandwidth).build());
      requireAdmitted(bucket.tryConsume(1), key);
    }
    return size(buckets) - empty;
  }

  static long guava(String[] keys) {
    double perSecond = (double) LIMIT / PERIOD.toSeconds();
    ConcurrentHashMap<String, RateLimiter> limiters = new ConcurrentHashMap<>();
    long empty = size(limiters);
    for (String key : keys) {
      RateLimiter limiter = limiters.computeIfAbsent(key, k -> RateLimiter.create(perSecond));
      requireAdmitted(limiter.tryAcquire(), key);
    }
    return size(limiters) - empty;
  }

  private static long size(Object root) {
    return GraphLayout.parseInstance(root).totalSize();
  }

  private static void requireAdmitted(boolean admitted, String key) {
    if (!admitted) {
      throw new IllegalStateException("first request on key " + key + " was denied");
    }
  }

  private static void print(String library, long bytes, int keyCount) {
    System.out.printf("%-10s %14d %10.1f%n", library, bytes, (double) bytes / keyCount);
  }
}
