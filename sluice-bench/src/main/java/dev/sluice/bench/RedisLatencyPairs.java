package dev.sluice.bench;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.RateLimiter;
import dev.sluice.redis.RedisStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Arrays;

/**
 * Prints the latency of one thread's Sluice decisions next to a bare {@code PING} and to an
 * {@code EVALSHA} of a script that only returns a reply of the decision's shape, called with
 * the same key and arguments as a decision. The three requests take turns, one of each per
 * round, so that a change in the load of a shared machine hits all three alike. JMH runs the
 * libraries one after the other, seconds apart, and on a busy machine their ratio then varies
 * more than the libraries differ.
 *
 * <p>It starts its own {@code redis-server} (see {@link BenchRedisServer}) and prints the
 * 25th, 50th and 75th percentiles in microseconds, and the ratio of the medians. Run with
 * {@code java -cp sluice-bench/target/benchmarks.jar dev.sluice.bench.RedisLatencyPairs
 * [rounds]}; the default is 30,000 rounds after 20,000 rounds of warm-up.
 */
public final class RedisLatencyPairs {

  private static final int WARM_UP_ROUNDS = 20_000;
  private static final String KEY = "sluice:{bench:user-0}:default:token_bucket";
  // The arguments of a one-limit token bucket decision on the server's clock.
  private static final String[] ARGS = {"", "1", Long.toString(Long.MAX_VALUE), "1",
      "token_bucket", "1000000", "1000000000", "1000000", "0"};

  private RedisLatencyPairs() {}

  public static void main(String[] args) throws InterruptedException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30_000;
    BenchRedisServer server = BenchRedisServer.start();
    RedisClient redis = RedisClient.create(server.uri());
    try (RedisStore store = RedisStore.builder().uri(server.uri())
            .commandTimeout(Duration.ofSeconds(10)).build();
        StatefulRedisConnection<String, String> connection = redis.connect()) {
      Limit limit = Limit.of(Algorithm.TOKEN_BUCKET, 1_000_000, Duration.ofSeconds(1));
      RateLimiter limiter = RateLimiter.builder(Policy.of("bench", limit)).store(store).build();
      RedisCommands<String, String> commands = connection.sync();
      String replyOnlySha = commands.scriptLoad("return {1, 999999, 1000, 0, 0, 0}");
      long[][] nanos = measure(rounds, limiter, commands, replyOnlySha);
      print("sluice decision", nanos[0]);
      print("EVALSHA, reply only", nanos[1]);
      print("PING", nanos[2]);
      System.out.printf("median PING / decision: %.2f, PING / EVALSHA reply only: %.2f%n",
          (double) nanos[2][rounds / 2] / nanos[0][rounds / 2],
          (double) nanos[2][rounds / 2] / nanos[1][rounds / 2]);
    } finally {
      redis.shutdown();
      server.close();
    }
  }

  /** Returns the sorted latencies of each request, in nanoseconds. */
  private static long[][] measure(
      int rounds, RateLimiter limiter, RedisCommands<String, String> commands, String sha) {
    long[][] nanos = new long[3][rounds];
    String[] keys = {KEY};
    for (int round = -WARM_UP_ROUNDS; round < rounds; round++) {
      long start = System.nanoTime();
      limiter.tryAcquire("user-0");
      long decided = System.nanoTime();
      commands.evalsha(sha, ScriptOutputType.MULTI, keys, ARGS);
      long evaluated = System.nanoTime();
      commands.ping();
      long pinged = System.nanoTime();
      if (round >= 0) {
        nanos[0][round] = decided - start;
        nanos[1][round] = evaluated - decided;
        nanos[2][round] = pinged - evaluated;
      }
    }
    for (long[] latencies : nanos) {
      Arrays.sort(latencies);
    }
    return nanos;
  }

  private static void print(String label, long[] sorted) {
    int n = sorted.length;
    System.out.printf("%-20s p25 %6.1f us  p50 %6.1f us  p75 %6.1f us%n", label,
        sorted[n / 4] / 1e3, sorted[n / 2] / 1e3, sorted[3 * n / 4] / 1e3);
  }
}
