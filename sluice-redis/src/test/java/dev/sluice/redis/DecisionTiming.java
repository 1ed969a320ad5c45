package dev.sluice.redis;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints rough single-thread latencies of Redis decisions against a throwaway local server.
 * Not a benchmark: one client thread, no warm-up control, no statistics beyond the mean. Run it
 * from the repository root after the module's tests, with the class path Surefire recorded:
 *
 * <pre>{@code
 * CP=$(grep -o 'name="surefire.test.class.path" value="[^"]*"' \
 *   sluice-redis/target/surefire-reports/TEST-dev.sluice.redis.RedisStoreTest.xml \
 *   | sed 's/.*value="//; s/"$//')
 * java -cp "$CP" dev.sluice.redis.DecisionTiming
 * }</pre>
 */
final class DecisionTiming {

  private static RedisClient admin;
  private static StatefulRedisConnection<String, String> adminConnection;

  private DecisionTiming() {}

  public static void main(String[] args) {
    try (RedisServer server = RedisServer.start();
        RedisStore store = RedisStore.builder().uri(server.uri())
            .commandTimeout(Duration.ofSeconds(30)).build()) {
      admin = RedisClient.create(server.uri());
      adminConnection = admin.connect();
      Limit bucket = Limit.of(Algorithm.TOKEN_BUCKET, 1_000_000, Duration.ofSeconds(1));
      timeFirstDecision(store.bind(Policy.of("first", bucket)));
      time("token_bucket, 1 limit", store.bind(Policy.of("one", bucket)), 20_000);
      time("6 limits, one of each algorithm", store.bind(Policy.of("six",
          bucket.withName("a"),
          Limit.of(Algorithm.LEAKY_BUCKET, 1_000_000, Duration.ofSeconds(1)).withName("b")
              .withMode(Mode.SHAPE),
          Limit.of(Algorithm.FIXED_WINDOW, 1_000_000, Duration.ofSeconds(1)).withName("c"),
          Limit.of(Algorithm.GCRA, 1_000_000, Duration.ofSeconds(1)).withName("d"),
          Limit.of(Algorithm.SLIDING_WINDOW, 1_000_000, Duration.ofSeconds(1)).withName("e"),
          Limit.of(Algorithm.SLIDING_LOG, 100, Duration.ofSeconds(1)).withName("f"))), 20_000);
      timeFullSlidingLog(store);
      timePausedRedis(store, bucket);
      adminConnection.close();
      admin.shutdown();
    }
    timeDeadRedis();
  }

  /**
   * Times one decision while Redis is paused past the default command timeout of 20 ms, in two
   * stores in turn: the first failure in the process also pays for loading the failure path's
   * classes. One timeout stays below the failure threshold, so neither writes a WARNING.
   */
  private static void timePausedRedis(RedisStore generous, Limit bucket) {
    for (String label : List.of("Redis paused, first failure", "Redis paused, second store")) {
      try (RedisStore store = RedisStore.builder().uri(generous.uri())
          .onFailure(FailureMode.DENY).build()) {
        PolicyBinding binding = store.bind(Policy.of("paused", bucket));
        binding.tryAcquire("warm-up", 1, Long.MAX_VALUE);
        adminConnection.sync().clientPause(1_000);
        long started = System.nanoTime();
        Decision decision = binding.tryAcquire("k", 1, Long.MAX_VALUE);
        long micros = (System.nanoTime() - started) / 1_000;
        System.out.printf("%-36s one decision %s in %d us%n", label, decision.source(), micros);
        awaitUnpaused();
      }
    }
  }

  /** Waits until the pause ends, because Redis replies to a PING only after it. */
  private static void awaitUnpaused() {
    adminConnection.sync().ping();
  }

  /**
   * Times the first decision of the process after {@code build()}, whose warm-up decision has
   * already loaded the decision path, so that it shows what a cold JVM costs the default timeout.
   */
  private static void timeFirstDecision(PolicyBinding binding) {
    long started = System.nanoTime();
    binding.tryAcquire("first", 1, Long.MAX_VALUE);
    System.out.printf("%-36s one decision in %d us%n", "first decision after build()",
        (System.nanoTime() - started) / 1_000);
  }

  /** Times decisions with Redis killed, the breaker open after the first three. */
  private static void timeDeadRedis() {
    RedisServer server = RedisServer.start();
    try (RedisStore store = RedisStore.builder().uri(server.uri())
        .onFailure(FailureMode.DENY).build()) {
      PolicyBinding binding = store.bind(Policy.of("dead",
          Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1))));
      binding.tryAcquire("warm-up", 1, Long.MAX_VALUE);
      server.kill();
      long attemptsBefore = store.redisAttempts();
      long started = System.nanoTime();
      int decisions = 200_000;
      for (int i = 0; i < decisions; i++) {
        binding.tryAcquire("user-" + (i % 100), 1, Long.MAX_VALUE);
      }
      long nanos = System.nanoTime() - started;
      System.out.printf("%-36s %6d decisions in %d ms, mean %d ns, %d calls to Redis%n",
          "Redis killed, breaker open", decisions, nanos / 1_000_000, nanos / decisions,
          store.redisAttempts() - attemptsBefore);
    } finally {
      server.close();
    }
  }

  /**
   * Times decisions on a sliding log of the largest limit, holding one entry below that limit,
   * written as the sorted set the script keeps: a base of 0, then entries 1 ns apart.
   */
  private static void timeFullSlidingLog(RedisStore store) {
    Limit log = Limit.of(Algorithm.SLIDING_LOG, Limit.MAX_SLIDING_LOG_LIMIT, Duration.ofDays(1));
    PolicyBinding binding = store.bind(Policy.of("log", log));
    String key = binding instanceof RedisBinding redis ? redis.keysOf("full")[0] : null;
    long start = System.currentTimeMillis() * 1_000_000L;
    int entries = (int) Limit.MAX_SLIDING_LOG_LIMIT - 1;
    List<ScoredValue<String>> scored = new ArrayList<>();
    scored.add(ScoredValue.just(0, "base"));
    for (int i = 0; i < entries; i++) {
      scored.add(ScoredValue.just(i + 1, Long.toString(start + i)));
    }
    adminConnection.sync().zadd(key, scored.toArray(ScoredValue[]::new));
    time("sliding_log with " + entries + " entries", binding, "full", 50);
  }

  private static void time(String label, PolicyBinding binding, int decisions) {
    time(label, binding, null, decisions);
  }

  /** Returns the mean time per EVALSHA that Redis reports in INFO commandstats. */
  private static String evalshaMicros() {
    for (String line : adminConnection.sync().info("commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_evalsha:")) {
        int start = line.indexOf("usec_per_call=") + "usec_per_call=".length();
        return line.substring(start, line.indexOf(',', start));
      }
    }
    return "?";
  }

  /** Times decisions of cost 1 on one key, or on 100 keys in turn when {@code key} is null. */
  private static void time(String label, PolicyBinding binding, String key, int decisions) {
    adminConnection.sync().configResetstat();
    long started = System.nanoTime();
    int admitted = 0;
    for (int i = 0; i < decisions; i++) {
      String next = key != null ? key : "user-" + (i % 100);
      admitted += binding.tryAcquire(next, 1, Long.MAX_VALUE).allowed() ? 1 : 0;
    }
    long micros = (System.nanoTime() - started) / 1_000 / decisions;
    System.out.printf("%-36s %6d decisions, %5d admitted, mean %6d us per decision,"
        + " %s us inside Redis%n", label, decisions, admitted, micros, evalshaMicros());
  }
}
