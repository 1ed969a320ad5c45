package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.RateLimiter;
import dev.sluice.TimeSource;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Redis-specific behaviour of {@link RedisStore}, on the server's clock. */
class RedisStoreTest {

  private static final long MILLI = 1_000_000L;

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();

  private RedisStore store;

  @BeforeEach
  void openStore() {
    // Generous, so that a busy machine never turns a decision into a fail-open one.
    store = RedisStore.builder().uri(REDIS.uri()).commandTimeout(Duration.ofSeconds(30)).build();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private static RedisCommands<String, String> redis() {
    return REDIS.commands();
  }

  private static Limit limit(Algorithm algorithm, long limit, Duration period) {
    return Limit.of(algorithm, limit, period).withName(algorithm.configName());
  }

  /** Returns a policy of one limit of each algorithm. */
  private static Policy everyAlgorithm(Duration period) {
    return Policy.of("every",
        limit(Algorithm.TOKEN_BUCKET, 10, period),
        limit(Algorithm.LEAKY_BUCKET, 10, period).withMode(Mode.SHAPE),
        limit(Algorithm.FIXED_WINDOW, 10, period),
        limit(Algorithm.GCRA, 10, period),
        limit(Algorithm.SLIDING_WINDOW, 10, period),
        limit(Algorithm.SLIDING_LOG, 10, period));
  }

  @Test
  void tryAcquire_inStageOfAsyncDecision_throws() {
    PolicyBinding binding = store.bind(Policy.of("nested",
        Limit.of(Algorithm.TOKEN_BUCKET, 1_000, Duration.ofHours(1))));

    StoreThreadStage stage = StoreThreadStage.run(binding, b -> b.tryAcquire("inner", 1, 0));

    assertThat(stage.thread()).isNotSameAs(Thread.currentThread());
    assertThat(stage.error()).hasCauseInstanceOf(IllegalStateException.class);
    assertThat(stage.error().getCause()).hasMessageContaining(
        "waits for Redis, but was called on " + stage.thread().getName());
    assertThat(binding.tryAcquire("inner", 1, 0).source()).isEqualTo(Decision.Source.STORE);
  }

  /**
   * Waiting for another decision's stage on the thread that would read its reply: without the
   * check, the wait lasted until the decision timed out, and Redis still charged the request.
   */
  @Test
  void join_inStageOfAsyncDecision_throws() {
    PolicyBinding binding = store.bind(Policy.of("joined",
        Limit.of(Algorithm.TOKEN_BUCKET, 1_000, Duration.ofHours(1))));

    StoreThreadStage stage = StoreThreadStage.run(binding,
        b -> b.tryAcquireAsync("inner", 1, 0).toCompletableFuture().join());
    StoreThreadStage dependent = StoreThreadStage.run(binding,
        b -> b.tryAcquireAsync("inner", 1, 0).thenApply(Decision::allowed)
            .toCompletableFuture().join());

    for (StoreThreadStage run : List.of(stage, dependent)) {
      assertThat(run.thread()).isNotSameAs(Thread.currentThread());
      assertThat(run.error()).hasCauseInstanceOf(IllegalStateException.class);
      assertThat(run.error().getCause()).hasMessageContaining(
          "waits for Redis, but was called on " + run.thread().getName());
    }
  }

  @Test
  void rateLimiter_clientTimeStore_waitsOnStoreClock() throws Exception {
    long start = 1_764_870_000_000_000_000L;
    FakeClock clock = new FakeClock(start);
    try (RedisStore clientTimed = RedisStore.builder().uri(REDIS.uri())
        .commandTimeout(Duration.ofSeconds(30))
        .timeMode(TimeMode.CLIENT).timeSource(clock).build()) {
      Policy perSecond =
          Policy.of("second", Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(1)));
      RateLimiter limiter = RateLimiter.builder(perSecond).store(clientTimed).build();
      limiter.tryAcquire("waits");

      // Waiting on the system clock would never move the store's time, and would time out.
      boolean acquired = limiter.acquire("waits", 1, Duration.ofSeconds(2));

      assertThat(acquired).isTrue();
      assertThat(clock.nanos() - start).isEqualTo(1_000_000_000L);
      assertThatThrownBy(() -> RateLimiter.builder(perSecond)
          .timeSource(TimeSource.system()).store(clientTimed).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("the store's decisions read another time source");
    }
  }

  @Test
  void bind_largestSlidingLog_decides() {
    PolicyBinding log = store.bind(Policy.of("audit",
        Limit.of(Algorithm.SLIDING_LOG, Limit.MAX_SLIDING_LOG_LIMIT, Duration.ofHours(1))));

    assertThat(log.tryAcquire("k", 1, Long.MAX_VALUE).remaining())
        .isEqualTo(Limit.MAX_SLIDING_LOG_LIMIT - 1);
  }

  /**
   * INFO commandstats also counts the commands a script runs, so every count is accounted
   * for: per decision one EVALSHA from the client, and inside the script one TIME and one
   * HMGET per hash limit, plus one HSET and one PEXPIRE per hash limit when admitted. The
   * sliding log's sorted set takes one ZADD and one PEXPIRE when admitted, and a few reads of
   * single entries per decision. Any other round trip would show up as another command or a
   * higher count.
   */
  @Test
  void tryAcquire_warm_oneEvalsha() {
    PolicyBinding binding = store.bind(everyAlgorithm(Duration.ofMinutes(1)));
    binding.tryAcquire("warm-up", 1, Long.MAX_VALUE);
    redis().configResetstat();

    long admitted = 0;
    for (int i = 0; i < 30; i++) {
      admitted += binding.tryAcquire("user-" + (i % 3), 1 + i % 5, Long.MAX_VALUE).allowed()
          ? 1 : 0;
    }

    Map<String, Long> calls = commandCalls();
    calls.keySet().removeIf(command -> command.startsWith("config") || command.equals("info"));
    // The first decision of each of the 3 user keys finds no sorted set: one ZRANGE, no more.
    long slidingLogReads = calls.getOrDefault("zrange", 0L) + calls.getOrDefault("zcard", 0L)
        + calls.getOrDefault("zrangebyscore", 0L);
    calls.keySet().removeAll(List.of("zrange", "zcard", "zrangebyscore"));
    assertThat(admitted).isBetween(1L, 29L);
    assertThat(calls).containsOnly(
        Map.entry("evalsha", 30L),
        Map.entry("time", 30L),
        Map.entry("hmget", 5 * 30L),
        Map.entry("hset", 5 * admitted),
        Map.entry("zadd", admitted),
        Map.entry("pexpire", 6 * admitted));
    assertThat(slidingLogReads).isBetween(30L, 4 * 30L);
  }

  @Test
  void tryAcquire_scriptFlushed_chargesOnce() {
    PolicyBinding bucket = store.bind(
        Policy.of("flush", Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofHours(1))));
    assertThat(bucket.tryAcquire("k", 1, Long.MAX_VALUE).remaining()).isEqualTo(4);

    redis().scriptFlush();

    assertThat(bucket.tryAcquire("k", 1, Long.MAX_VALUE).remaining()).isEqualTo(3);
    assertThat(bucket.tryAcquire("k", 1, Long.MAX_VALUE).remaining()).isEqualTo(2);
  }

  @Test
  void tryAcquire_eachAlgorithm_ttlWithinReset() {
    Policy every = everyAlgorithm(Duration.ofMinutes(1));
    for (Limit limit : every.limits()) {
      Decision decision = store.bind(Policy.of(limit.name(), limit))
          .tryAcquire("ttl", 3, Long.MAX_VALUE);
      List<String> keys = redis().keys("sluice:{" + limit.name() + ":*");

      assertThat(keys).as("keys of %s", limit.name()).hasSize(1);
      long resetMillis = (decision.resetAfterNanos() + MILLI - 1) / MILLI;
      assertThat(redis().pttl(keys.get(0))).as("PTTL of %s", keys.get(0))
          .isPositive().isLessThanOrEqualTo(resetMillis);
    }
  }

  @Test
  void tryAcquire_policy_ttlWithinReset() {
    Decision decision = store.bind(everyAlgorithm(Duration.ofSeconds(30)))
        .tryAcquire("ttl", 7, Long.MAX_VALUE);
    List<String> keys = redis().keys("sluice:*");

    assertThat(keys).hasSize(6);
    long resetMillis = (decision.resetAfterNanos() + MILLI - 1) / MILLI;
    for (String key : keys) {
      assertThat(redis().pttl(key)).as("PTTL of %s", key)
          .isPositive().isLessThanOrEqualTo(resetMillis);
    }
  }

  @Test
  void tryAcquire_clientTime_ttlWithinReset() {
    try (RedisStore clientTimed = RedisStore.builder().uri(REDIS.uri())
        .commandTimeout(Duration.ofSeconds(30))
        .timeMode(TimeMode.CLIENT).timeSource(TimeSource.system()).build()) {
      Decision decision = clientTimed.bind(everyAlgorithm(Duration.ofSeconds(30)))
          .tryAcquire("client", 4, Long.MAX_VALUE);
      List<String> keys = redis().keys("sluice:*");

      assertThat(keys).hasSize(6);
      long resetMillis = (decision.resetAfterNanos() + MILLI - 1) / MILLI;
      for (String key : keys) {
        assertThat(redis().pttl(key)).as("PTTL of %s", key)
            .isPositive().isLessThanOrEqualTo(resetMillis);
      }
    }
  }

  @Test
  void tryAcquire_oneOffRequest_keysVanish() throws Exception {
    redis().configSet("notify-keyspace-events", "Ex");
    Set<String> expired = ConcurrentHashMap.newKeySet();
    CountDownLatch allExpired = new CountDownLatch(6);
    try (StatefulRedisPubSubConnection<String, String> events = REDIS.client().connectPubSub()) {
      events.addListener(new RedisPubSubAdapter<>() {
        @Override
        public void message(String channel, String key) {
          if (expired.add(key)) {
            allExpired.countDown();
          }
        }
      });
      events.sync().subscribe("__keyevent@0__:expired");

      store.bind(everyAlgorithm(Duration.ofMillis(50))).tryAcquire("once", 1, Long.MAX_VALUE);

      assertThat(allExpired.await(30, TimeUnit.SECONDS)).as("keys expired: %s", expired).isTrue();
    }
    assertThat(redis().keys("sluice:*")).isEmpty();
  }

  @Test
  void tryAcquire_denialOrCostZero_writesNothing() {
    PolicyBinding bucket = store.bind(
        Policy.of("nothing", Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofHours(1))));

    assertThat(bucket.tryAcquire("a", 0, Long.MAX_VALUE).allowed()).isTrue();
    assertThat(bucket.tryAcquire("b", 6, Long.MAX_VALUE).allowed()).isFalse();

    assertThat(redis().keys("*")).isEmpty();
  }

  @Test
  void tryAcquire_bracesInKey_oneSlot() {
    store.bind(everyAlgorithm(Duration.ofMinutes(1))).tryAcquire("}{x}{", 1, Long.MAX_VALUE);
    List<String> keys = redis().keys("*");

    assertThat(keys).hasSize(6);
    int slot = SlotHash.getSlot(keys.get(0));
    for (String key : keys) {
      assertThat(key.chars().filter(c -> c == '{').count()).as("'{' in %s", key).isEqualTo(1);
      assertThat(key.chars().filter(c -> c == '}').count()).as("'}' in %s", key).isEqualTo(1);
      assertThat(SlotHash.getSlot(key)).as("slot of %s", key).isEqualTo(slot);
    }
  }

  @Test
  void tryAcquire_serverTime_decidesByServerClock() {
    PolicyBinding window = store.bind(
        Policy.of("server", Limit.of(Algorithm.FIXED_WINDOW, 1, Duration.ofHours(1))));

    Decision first = window.tryAcquire("k", 1, Long.MAX_VALUE);
    Decision second = window.tryAcquire("k", 1, Long.MAX_VALUE);

    assertThat(first.allowed()).isTrue();
    assertThat(second.allowed()).isFalse();
    assertThat(second.retryAfterNanos()).isPositive()
        .isLessThanOrEqualTo(first.resetAfterNanos());
    long serverSeconds = Long.parseLong(redis().time().get(0));
    long windowEndSeconds = serverSeconds - serverSeconds % 3600 + 3600;
    assertThat(first.resetAfterNanos() / 1_000_000_000L)
        .isBetween(windowEndSeconds - serverSeconds - 2, windowEndSeconds - serverSeconds);
  }

  @Test
  void tryAcquire_concurrentThreads_admitExactlyTheBurst() throws Exception {
    PolicyBinding bucket = store.bind(
        Policy.of("threads", Limit.of(Algorithm.TOKEN_BUCKET, 100, Duration.ofHours(1))));
    ExecutorService threads = Executors.newFixedThreadPool(4);
    List<Callable<Integer>> callers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      callers.add(() -> {
        int admitted = 0;
        for (int i = 0; i < 50; i++) {
          admitted += bucket.tryAcquire("shared", 1, Long.MAX_VALUE).allowed() ? 1 : 0;
        }
        return admitted;
      });
    }

    int admitted = 0;
    try {
      for (Future<Integer> result : threads.invokeAll(callers)) {
        admitted += result.get();
      }
    } finally {
      threads.shutdown();
    }

    // 200 requests within far less than the 36 s that one token takes to come back.
    assertThat(admitted).isEqualTo(100);
  }

  @Test
  void tryAcquireAsync_scriptFlushed_reloadsAndChargesOnce() {
    PolicyBinding bucket = store.bind(
        Policy.of("flush-async", Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofHours(1))));
    assertThat(bucket.tryAcquireAsync("k", 1, Long.MAX_VALUE).toCompletableFuture().join()
        .remaining()).isEqualTo(4);

    redis().scriptFlush();
    Decision reloaded = bucket.tryAcquireAsync("k", 1, Long.MAX_VALUE).toCompletableFuture()
        .join();

    // 5 - 1 - 1: the NOSCRIPT reply charged nothing, the retry charged once.
    assertThat(reloaded.remaining()).isEqualTo(3);
    assertThat(reloaded.source()).isEqualTo(Decision.Source.STORE);
  }

  /**
   * 400 decisions sent from 4 threads without waiting, all in flight on the one connection at
   * once, admit exactly the burst.
   */
  @Test
  void tryAcquireAsync_manyInFlightFromThreads_admitExactlyTheBurst() throws Exception {
    PolicyBinding bucket = store.bind(
        Policy.of("async", Limit.of(Algorithm.TOKEN_BUCKET, 100, Duration.ofHours(1))));
    ExecutorService threads = Executors.newFixedThreadPool(4);
    List<CompletableFuture<Decision>> decisions = new CopyOnWriteArrayList<>();
    List<Callable<Void>> senders = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      senders.add(() -> {
        for (int i = 0; i < 100; i++) {
          decisions.add(bucket.tryAcquireAsync("shared", 1, Long.MAX_VALUE)
              .toCompletableFuture());
        }
        return null;
      });
    }

    try {
      for (Future<Void> sent : threads.invokeAll(senders)) {
        sent.get();
      }
    } finally {
      threads.shutdown();
    }
    long admitted = decisions.stream().map(CompletableFuture::join).filter(Decision::allowed)
        .count();

    // 400 requests within far less than the 36 s that one token takes to come back.
    assertThat(decisions).hasSize(400);
    assertThat(admitted).isEqualTo(100);
    assertThat(decisions).allSatisfy(
        d -> assertThat(d.join().source()).isEqualTo(Decision.Source.STORE));
  }

  @Test
  void keyPrefix_withBrace_rejected() {
    assertThatThrownBy(() -> RedisStore.builder().keyPrefix("a{b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keyPrefix must be printable ASCII without braces or spaces, got 'a{b'");
  }

  /** Parses INFO commandstats into calls per command. */
  private static Map<String, Long> commandCalls() {
    Map<String, Long> calls = new HashMap<>();
    for (String line : redis().info("commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_")) {
        String command = line.substring("cmdstat_".length(), line.indexOf(':'));
        String count = line.substring(line.indexOf("calls=") + 6, line.indexOf(','));
        calls.put(command, Long.parseLong(count));
      }
    }
    return calls;
  }
}
