package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RedisStore.Builder#denyCache}: a flood on a denied key calls Redis about once per
 * retry after, and every decision still equals the in-memory store's on the same clock.
 */
class RedisDenyCacheTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long MILLI = 1_000_000L;

  /** Token bucket capacity 5, refill 5 per 10 s: one unit every 2 s. */
  private static final Policy POLICY = Policy.of("attack",
      Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofSeconds(10)));

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();

  private FakeClock clock;
  private RedisStore store;
  private PolicyBinding reference;

  @BeforeEach
  void openStore() {
    clock = new FakeClock(1_700_000_000L * SECOND);
    store = open(true);
    // After build(), whose warm-up decision is one EVALSHA.
    redis().configResetstat();
    reference = InMemoryStore.builder().timeSource(clock).build().bind(POLICY);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private RedisStore open(boolean denyCache) {
    return RedisStore.builder().uri(REDIS.uri()).commandTimeout(Duration.ofSeconds(30))
        .timeMode(TimeMode.CLIENT).timeSource(clock).withoutExpiry().denyCache(denyCache)
        .build();
  }

  private static RedisCommands<String, String> redis() {
    return REDIS.commands();
  }

  /**
   * 20 requests every 100 ms for 10 s, 2,000 in all. By hand: at 0 s, 5 are admitted and the
   * 6th is denied with retry after 2 s, 6 calls. At 2, 4, 6 and 8 s, one unit has come back:
   * the first request is admitted and the second denied again, 2 calls each. That makes
   * 6 + 4 * 2 = 14 calls and 5 + 4 = 9 admissions.
   */
  @Test
  void floodOnOneKey_oneCallPerRetryAfter() {
    PolicyBinding binding = store.bind(POLICY);
    long admitted = 0;

    for (int step = 0; step < 100; step++) {
      for (int i = 0; i < 20; i++) {
        Decision decision = binding.tryAcquire("k", 1, Long.MAX_VALUE);
        assertThat(decision).as("request %d at %d ms", i, step * 100)
            .isEqualTo(reference.tryAcquire("k", 1, Long.MAX_VALUE));
        admitted += decision.allowed() ? 1 : 0;
      }
      clock.advance(100 * MILLI);
    }

    assertThat(admitted).isEqualTo(9);
    assertThat(evalshaCalls()).isEqualTo(14);
  }

  @Test
  void afterRetryAfter_reachesRedisAndAdmits() {
    PolicyBinding binding = store.bind(POLICY);
    for (int i = 0; i < 5; i++) {
      binding.tryAcquire("k", 1, Long.MAX_VALUE);
    }
    Decision denied = binding.tryAcquire("k", 1, Long.MAX_VALUE);
    assertThat(denied.retryAfterNanos()).isEqualTo(2 * SECOND);
    clock.advance(2 * SECOND - 1);
    assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).retryAfterNanos()).isEqualTo(1);
    long callsBefore = evalshaCalls();

    clock.advance(1);
    Decision next = binding.tryAcquire("k", 1, Long.MAX_VALUE);

    assertThat(next.allowed()).isTrue();
    assertThat(evalshaCalls()).isEqualTo(callsBefore + 1);
  }

  /** A peek, a smaller cost or another maximum delay may fit, so each goes to Redis. */
  @Test
  void tryAcquire_otherCostOrDelay_reachesRedis() {
    PolicyBinding binding = store.bind(POLICY);
    binding.tryAcquire("k", 4, Long.MAX_VALUE);
    assertThat(binding.tryAcquire("k", 2, Long.MAX_VALUE).allowed()).isFalse();
    long callsBefore = evalshaCalls();

    assertThat(binding.tryAcquire("k", 2, Long.MAX_VALUE).allowed()).isFalse();
    assertThat(evalshaCalls()).as("calls after the repeated request").isEqualTo(callsBefore);
    assertThat(binding.tryAcquire("k", 2, SECOND).allowed()).isFalse();
    assertThat(binding.tryAcquire("k", 0, Long.MAX_VALUE).allowed()).isTrue();
    assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).allowed()).isTrue();

    assertThat(evalshaCalls()).as("calls after three other requests").isEqualTo(callsBefore + 3);
  }

  /**
   * 400 requests for one unit each from 4 threads at one instant, through the asynchronous
   * path: the bucket's 5 units are admitted, no more. A thread's first denial is remembered
   * before its call returns, and the fake clock stands still, so each thread sends at most one
   * denied request to Redis: at most 5 + 4 calls.
   */
  @Test
  void concurrentFlood_admitsExactlyTheBurst() throws Exception {
    PolicyBinding binding = store.bind(POLICY);
    ExecutorService threads = Executors.newFixedThreadPool(4);
    List<Callable<Long>> senders = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      senders.add(() -> {
        long admitted = 0;
        for (int i = 0; i < 100; i++) {
          admitted += binding.tryAcquireAsync("k", 1, Long.MAX_VALUE).toCompletableFuture()
              .join().allowed() ? 1 : 0;
        }
        return admitted;
      });
    }

    long admitted = 0;
    try {
      for (Future<Long> result : threads.invokeAll(senders)) {
        admitted += result.get();
      }
    } finally {
      threads.shutdown();
    }

    assertThat(admitted).isEqualTo(5);
    assertThat(evalshaCalls()).as("EVALSHA calls for 400 requests").isLessThanOrEqualTo(9);
  }

  /** On the server's clock the countdown runs on {@link System#nanoTime}; 1 per hour. */
  @Test
  void serverTime_repeatedDenial_answeredLocally() {
    try (RedisStore serverTimed = RedisStore.builder().uri(REDIS.uri())
        .commandTimeout(Duration.ofSeconds(30)).denyCache(true).build()) {
      redis().configResetstat();
      PolicyBinding binding = serverTimed.bind(
          Policy.of("hourly", Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofHours(1))));
      assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).allowed()).isTrue();

      for (int i = 0; i < 50; i++) {
        Decision denied = binding.tryAcquire("k", 1, Long.MAX_VALUE);
        assertThat(denied.allowed()).as("request %d", i).isFalse();
        assertThat(denied.retryAfterNanos()).as("retry after of request %d", i)
            .isPositive().isLessThanOrEqualTo(3_600 * SECOND);
      }

      // The admission and the first denial.
      assertThat(evalshaCalls()).isEqualTo(2);
    }
  }

  @Test
  void tryAcquire_rememberedDenialOnStoreThread_throws() {
    try (RedisStore serverTimed = RedisStore.builder().uri(REDIS.uri())
        .commandTimeout(Duration.ofSeconds(30)).denyCache(true).build()) {
      PolicyBinding binding = serverTimed.bind(
          Policy.of("hourly", Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofHours(1))));
      binding.tryAcquire("k", 1, Long.MAX_VALUE);
      binding.tryAcquire("k", 1, Long.MAX_VALUE);

      StoreThreadStage stage =
          StoreThreadStage.run(binding, b -> b.tryAcquire("k", 1, Long.MAX_VALUE));

      assertThat(stage.thread()).isNotSameAs(Thread.currentThread());
      assertThat(stage.error()).hasCauseInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void cacheOff_everyRequestCallsRedis() {
    try (RedisStore plain = open(false)) {
      redis().configResetstat();
      PolicyBinding binding = plain.bind(POLICY);
      binding.tryAcquire("k", 5, Long.MAX_VALUE);

      for (int i = 0; i < 20; i++) {
        assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).allowed()).isFalse();
      }

      assertThat(evalshaCalls()).isEqualTo(21);
    }
  }

  private static long evalshaCalls() {
    for (String line : redis().info("commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_evalsha:")) {
        return Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(',')));
      }
    }
    return 0;
  }
}
