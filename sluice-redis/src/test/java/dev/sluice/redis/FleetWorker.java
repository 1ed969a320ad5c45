package dev.sluice.redis;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One instance of a fleet, run in its own JVM by {@link FleetExactnessTest}: opens its own
 * {@link RedisStore}, prints {@code ready}, waits for the start signal (one element of the
 * list {@code fleet:go}, popped with {@code BLPOP}), sends its requests from several threads at
 * once and prints {@code admitted=N retry=R}, where R counts the denials whose retry after equals
 * the expected one.
 *
 * <p>Arguments: URI, algorithm config name, limit, period in ms, time ({@code server} or the
 * client time in ns), key, threads, requests per thread, expected retry after in ns.
 */
public final class FleetWorker {

  private FleetWorker() {}

  public static void main(String[] args) throws Exception {
    String uri = args[0];
    Limit limit = Limit.of(Algorithm.fromConfigName(args[1]), Long.parseLong(args[2]),
        Duration.ofMillis(Long.parseLong(args[3])));
    RedisStore.Builder options = RedisStore.builder().uri(uri)
        .commandTimeout(Duration.ofSeconds(30));
    if (!args[4].equals("server")) {
      long fixedNanos = Long.parseLong(args[4]);
      options.timeMode(TimeMode.CLIENT).timeSource(fixed(fixedNanos));
    }
    RedisClient client = RedisClient.create(uri);
    try (RedisStore store = options.build();
        StatefulRedisConnection<String, String> signal = client.connect()) {
      PolicyBinding binding = store.bind(Policy.of("fleet", limit));
      System.out.println("ready");
      System.out.flush();
      signal.sync().blpop(120, "fleet:go");
      System.out.println(run(binding, args[5], Integer.parseInt(args[6]),
          Integer.parseInt(args[7]), Long.parseLong(args[8])));
    } finally {
      client.shutdown();
    }
  }

  private static String run(PolicyBinding binding, String key, int threads, int requests,
      long expectedRetryNanos) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<List<Decision>>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      results.add(pool.submit(() -> {
        start.await();
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
          decisions.add(binding.tryAcquire(key, 1, Long.MAX_VALUE));
        }
        return decisions;
      }));
    }
    start.countDown();
    long admitted = 0;
    long expectedRetries = 0;
    for (Future<List<Decision>> result : results) {
      for (Decision decision : result.get()) {
        admitted += decision.allowed() ? 1 : 0;
        expectedRetries += !decision.allowed()
            && decision.retryAfterNanos() == expectedRetryNanos ? 1 : 0;
      }
    }
    pool.shutdown();
    return "admitted=" + admitted + " retry=" + expectedRetries;
  }

  private static TimeSource fixed(long nanos) {
    return new TimeSource() {
      @Override
      public long nanos() {
        return nanos;
      }

      @Override
      public void sleepNanos(long duration) {
        throw new UnsupportedOperationException("a fleet worker never waits");
      }
    };
  }
}
