package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every key the store writes carries an expiry, also when many requests create it at once, so
 * that no key outlives the time after which it cannot affect a decision.
 */
class KeyExpiryTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long MINUTE_MILLIS = 60_000;

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();

  private RedisStore store;

  @BeforeEach
  void openStore() {
    store = RedisStore.builder().uri(REDIS.uri()).commandTimeout(Duration.ofSeconds(30)).build();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private static RedisCommands<String, String> redis() {
    return REDIS.commands();
  }

  /**
   * Limit 100 per 60 s: 200 requests from 20 threads on a fresh key, on a fixed client clock
   * so that no window boundary falls within the run, admit exactly 100. The key then expires
   * when its state can no longer affect a decision, which {@link #stateLifetimeMillis} works out
   * by hand.
   */
  @ParameterizedTest
  @EnumSource(Algorithm.class)
  void concurrentFreshKey_keyExpires(Algorithm algorithm) throws Exception {
    FakeClock clock = new FakeClock(1_700_000_030L * SECOND);
    try (RedisStore clientTimed = RedisStore.builder().uri(REDIS.uri())
        .commandTimeout(Duration.ofSeconds(30))
        .timeMode(TimeMode.CLIENT).timeSource(clock).build()) {
      PolicyBinding binding = clientTimed.bind(Policy.of("fresh", limit(algorithm, 100, 60)));

      long admitted = concurrently(binding, "fresh-key", 20, 10);

      assertThat(admitted).isEqualTo(100);
      List<String> keys = scan("sluice:*");
      assertThat(keys).hasSize(1);
      for (String key : keys) {
        assertThat(redis().pttl(key)).as("PTTL of %s", key)
            .isPositive().isLessThanOrEqualTo(stateLifetimeMillis(algorithm));
      }
    }
  }

  /**
   * Returns how long 100 admissions at the client time of 1,700,000,030 s keep affecting
   * decisions under a limit of 100 per 60 s. That time is 50 s into its epoch-aligned window
   * (1,700,000,030 mod 60 = 50).
   */
  private static long stateLifetimeMillis(Algorithm algorithm) {
    return switch (algorithm) {
      // The window ends 10 s later.
      case FIXED_WINDOW -> 10_000;
      // Its count weighs on the next window too, which ends 10 + 60 s later.
      case SLIDING_WINDOW -> 70_000;
      // 100 units come back at 100 per 60 s, and a logged entry leaves the log after 60 s.
      case TOKEN_BUCKET, LEAKY_BUCKET, GCRA, SLIDING_LOG -> MINUTE_MILLIS;
    };
  }

  /**
   * 10,000 distinct keys used once each, with a period of 1 s: every key is written with an
   * expiry of at most 1 s, and each of them expires, which Redis reports by a keyspace event.
   */
  @Test
  void tenThousandOneOffKeys_allExpire() throws Exception {
    int keys = 10_000;
    PolicyBinding window = store.bind(Policy.of("one-off",
        Limit.of(Algorithm.FIXED_WINDOW, 100, Duration.ofSeconds(1))));

    CountDownLatch expired = awaitExpiries(keys, () -> {
      List<CompletableFuture<Decision>> decisions = new ArrayList<>();
      for (int i = 0; i < keys; i++) {
        decisions.add(window.tryAcquireAsync("user-" + i, 1, Long.MAX_VALUE)
            .toCompletableFuture());
      }
      assertThat(decisions).allSatisfy(d -> assertThat(d.join().allowed()).isTrue());
      assertEveryKeyExpiresWithin(1000);
    });

    // The events only end the wait early: a lost event must not fail a test whose keys are
    // gone, so the keys left are what counts.
    assertThat(scan("sluice:*")).as("keys left after %d expiry events were missing",
        expired.getCount()).isEmpty();
  }

  /**
   * A policy of one limit of each algorithm, 1 s period: 1,000 one-off keys give 6,000 Redis
   * keys, and all of them expire. Each expiry is at most 1 s, or 2 s for the sliding window,
   * whose count weighs on the next window too.
   */
  @Test
  void oneOffKeysEveryAlgorithm_allExpire() throws Exception {
    int users = 1_000;
    List<Limit> limits = new ArrayList<>();
    for (Algorithm algorithm : Algorithm.values()) {
      limits.add(limit(algorithm, 10, 1));
    }
    PolicyBinding every = store.bind(Policy.of("every", limits.toArray(Limit[]::new)));

    CountDownLatch expired = awaitExpiries(users * limits.size(), () -> {
      for (int i = 0; i < users; i++) {
        assertThat(every.tryAcquire("user-" + i, 1, Long.MAX_VALUE).allowed()).isTrue();
      }
      assertEveryKeyExpiresWithin(1000);
    });

    // The events only end the wait early: a lost event must not fail a test whose keys are
    // gone, so the keys left are what counts.
    assertThat(scan("sluice:*")).as("keys left after %d expiry events were missing",
        expired.getCount()).isEmpty();
  }

  /** Names each limit by its algorithm; the leaky bucket polices, so it admits its burst. */
  private static Limit limit(Algorithm algorithm, long limit, long periodSeconds) {
    return Limit.of(algorithm, limit, Duration.ofSeconds(periodSeconds))
        .withName(algorithm.configName()).withMode(Mode.POLICE);
  }

  private static long concurrently(PolicyBinding binding, String key, int threads,
      int requestsPerThread) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Callable<Integer>> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      workers.add(() -> {
        start.await();
        int admitted = 0;
        for (int i = 0; i < requestsPerThread; i++) {
          admitted += binding.tryAcquire(key, 1, Long.MAX_VALUE).allowed() ? 1 : 0;
        }
        return admitted;
      });
    }
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (Callable<Integer> worker : workers) {
        results.add(pool.submit(worker));
      }
      start.countDown();
      long admitted = 0;
      for (Future<Integer> result : results) {
        admitted += result.get();
      }
      return admitted;
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Checks with SCAN and PTTL that every key under the prefix has an expiry of at most one
   * period, or two for a sliding window. A key may expire between the two commands (PTTL -2)
   * or be less than 1 ms from expiry (PTTL 0), but none may lack an expiry (PTTL -1).
   */
  private static void assertEveryKeyExpiresWithin(long periodMillis) {
    for (String key : scan("sluice:*")) {
      long maxMillis = key.endsWith(":sliding_window")
          ? 2 * periodMillis
          : periodMillis;
      long pttl = redis().pttl(key);
      assertThat(pttl).as("PTTL of %s", key).isNotEqualTo(-1);
      if (pttl != -2) {
        assertThat(pttl).as("PTTL of %s", key).isBetween(0L, maxMillis);
      }
    }
  }

  /**
   * Runs {@code requests} while listening to expiry events, then waits up to 60 s until
   * {@code count} distinct keys have expired, and returns the latch of those expiries.
   */
  private static CountDownLatch awaitExpiries(int count, ThrowingRunnable requests)
      throws Exception {
    redis().configSet("notify-keyspace-events", "Ex");
    Set<String> seen = ConcurrentHashMap.newKeySet();
    CountDownLatch expired = new CountDownLatch(count);
    try (StatefulRedisPubSubConnection<String, String> events = REDIS.client().connectPubSub()) {
      events.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String channel, String key) {
          if (key.startsWith("sluice:") && seen.add(key)) {
            expired.countDown();
          }
        }
      });
      events.sync().subscribe("__keyevent@0__:expired");
      requests.run();
      expired.await(60, TimeUnit.SECONDS);
    }
    return expired;
  }

  private static List<String> scan(String pattern) {
    List<String> keys = new ArrayList<>();
    ScanArgs args = ScanArgs.Builder.matches(pattern).limit(1000);
    KeyScanCursor<String> cursor = redis().scan(args);
    keys.addAll(cursor.getKeys());
    while (!cursor.isFinished()) {
      cursor = redis().scan(ScanCursor.of(cursor.getCursor()), args);
      keys.addAll(cursor.getKeys());
    }
    return keys;
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws Exception;
  }
}
