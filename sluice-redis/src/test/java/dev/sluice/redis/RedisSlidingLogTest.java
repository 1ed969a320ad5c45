package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sorted-set layout of {@code sliding_log} on Redis: large logs decided as the in-memory
 * store decides them, keys of the hash layout of earlier versions, the rebase of large running
 * totals, the bounded removal of expired entries, key expiry and multi-limit atomicity.
 */
class RedisSlidingLogTest {

  private static final long T0 = StoreContract.T0;
  private static final long MILLI = 1_000_000L;
  private static final long SECOND = 1_000 * MILLI;
  /** 2^52, the largest running total that the script stores. */
  private static final long MAX_TOTAL = 1L << 52;
  /** Dropped entries that one admission removes at most. */
  private static final int MAX_REMOVALS = 100;

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();

  private final FakeClock clock = new FakeClock(T0);
  @RegisterExtension
  final ClientTimeStores stores = new ClientTimeStores(REDIS, clock, "log");

  private static RedisCommands<String, String> redis() {
    return REDIS.commands();
  }

  /** Binds a policy in memory on the same clock, for the decisions Redis must match. */
  private PolicyBinding inMemory(Policy policy) {
    return InMemoryStore.builder().timeSource(clock).build().bind(policy);
  }

  private static String keyOf(PolicyBinding binding, String userKey, int limitIndex) {
    return ((RedisBinding) binding).keysOf(userKey)[limitIndex];
  }

  /**
   * 80,000 requests on one key under 100,000 per hour, 60 ms apart on average so that the
   * window slides over the last third: mostly cost 1, so that the log grows to tens of
   * thousands of entries, with weighted requests, requests above the limit, requests at the
   * same instant and requests from the past. Redis gets them pipelined in order.
   */
  @Test
  void largestLimit_weightedRequests_matchesInMemory() {
    Policy policy = Policy.of("big",
        Limit.of(Algorithm.SLIDING_LOG, Limit.MAX_SLIDING_LOG_LIMIT, Duration.ofHours(1)));
    PolicyBinding tested = stores.open().bind(policy);
    PolicyBinding reference = inMemory(policy);
    Random random = new Random(42);
    int[] outcomes = new int[3];
    long maxEntries = 0;
    for (int batch = 0; batch < 80; batch++) {
      List<Decision> expected = new ArrayList<>();
      List<CompletableFuture<Decision>> actual = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        stepClock(random);
        long cost = randomCost(random);
        expected.add(reference.tryAcquire("k", cost, Long.MAX_VALUE));
        actual.add(tested.tryAcquireAsync("k", cost, Long.MAX_VALUE).toCompletableFuture());
      }
      for (int i = 0; i < expected.size(); i++) {
        Decision decision = expected.get(i);
        assertThat(actual.get(i).join()).as("request %d", batch * 1_000 + i).isEqualTo(decision);
        outcomes[decision.allowed() ? 0 : decision.costExceedsLimit() ? 2 : 1]++;
      }
      maxEntries = Math.max(maxEntries, redis().zcard(keyOf(tested, "k", 0)));
    }
    assertThat(outcomes[0]).as("admissions").isGreaterThan(20_000);
    assertThat(outcomes[1]).as("denials").isGreaterThan(10_000);
    assertThat(outcomes[2]).as("denials for ever").isGreaterThan(100);
    assertThat(maxEntries).as("largest log").isGreaterThan(20_000);
  }

  private void stepClock(Random random) {
    int kind = random.nextInt(100);
    if (kind < 3) {
      return;
    }
    if (kind < 5) {
      // Short, because requests that read a time before the newest entry merge into it.
      clock.rewind(random.nextLong(Math.min(100 * MILLI, clock.nanos() - T0) + 1));
      return;
    }
    clock.advance(1 + random.nextLong(120 * MILLI));
  }

  /** Returns a cost: 1 mostly, weighted now and then, sometimes 0 or above the limit. */
  private static long randomCost(Random random) {
    int kind = random.nextInt(1_000);
    if (kind < 3) {
      return Limit.MAX_SLIDING_LOG_LIMIT + 1 + random.nextInt(10);
    }
    if (kind < 13) {
      return 2 + random.nextInt(500);
    }
    return kind < 18 ? 0 : 1;
  }

  /**
   * A key written in the hash layout of earlier versions keeps deciding: denials leave the
   * hash as it is, and the first admission replaces it with a sorted set of the same entries.
   */
  @Test
  void hashOfEarlierVersion_readThenReplacedAtAdmission() {
    Policy policy = Policy.of("upgrade",
        Limit.of(Algorithm.SLIDING_LOG, 10, Duration.ofSeconds(10)));
    PolicyBinding tested = stores.open().bind(policy);
    PolicyBinding reference = inMemory(policy);
    // 3 units at T0, 4 at T0 + 2 s and 2 at T0 + 5 s, as the earlier layout stored them
    // after a first entry of 1 unit had left the window (base 1).
    assertThat(reference.tryAcquire("k", 3, Long.MAX_VALUE).allowed()).isTrue();
    clock.advance(2 * SECOND);
    assertThat(reference.tryAcquire("k", 4, Long.MAX_VALUE).allowed()).isTrue();
    clock.advance(3 * SECOND);
    assertThat(reference.tryAcquire("k", 2, Long.MAX_VALUE).allowed()).isTrue();
    String key = keyOf(tested, "k", 0);
    redis().hset(key, Map.of(
        "times", T0 + "," + (T0 + 2 * SECOND) + "," + (T0 + 5 * SECOND),
        "totals", "4,8,10", "base", "1"));

    clock.advance(SECOND);
    // 9 units in the window: cost 2 waits until the 3 units of T0 leave, at T0 + 10 s.
    Decision denial = tested.tryAcquire("k", 2, Long.MAX_VALUE);
    assertThat(denial).isEqualTo(reference.tryAcquire("k", 2, Long.MAX_VALUE));
    assertThat(denial.retryAfterNanos()).isEqualTo(4 * SECOND);
    assertThat(redis().type(key)).isEqualTo("hash");

    assertThat(tested.tryAcquire("k", 1, Long.MAX_VALUE))
        .isEqualTo(reference.tryAcquire("k", 1, Long.MAX_VALUE));
    assertThat(redis().type(key)).isEqualTo("zset");
    assertThat(redis().zrangeWithScores(key, 0, -1)).containsExactly(
        ScoredValue.just(0, "base"), ScoredValue.just(3, Long.toString(T0)),
        ScoredValue.just(7, Long.toString(T0 + 2 * SECOND)),
        ScoredValue.just(9, Long.toString(T0 + 5 * SECOND)),
        ScoredValue.just(10, Long.toString(T0 + 6 * SECOND)));
    assertMatchesInMemory(tested, reference, new Random(7), 300);
  }

  /** A key of another type falls back alone, and another user key still decides on Redis. */
  @Test
  void wrongTypeKey_fallsBackForThatKeyOnly() {
    PolicyBinding tested = stores.open().bind(Policy.of("typed",
        Limit.of(Algorithm.SLIDING_LOG, 10, Duration.ofSeconds(10))));
    redis().rpush(keyOf(tested, "listed", 0), "x");

    assertThat(tested.tryAcquire("listed", 1, Long.MAX_VALUE).source())
        .isEqualTo(Decision.Source.FAILED_CLOSED);
    assertThat(tested.tryAcquire("other", 1, Long.MAX_VALUE).source())
        .isEqualTo(Decision.Source.STORE);
  }

  /**
   * Running totals close to 2^52: the admission that passes it rewrites the log from a base
   * of 0, and decisions go on as in memory.
   */
  @Test
  void totalsNearMaximum_rebasedAndStillExact() {
    Policy policy = Policy.of("rebase",
        Limit.of(Algorithm.SLIDING_LOG, 50, Duration.ofSeconds(10)));
    PolicyBinding tested = stores.open().bind(policy);
    PolicyBinding reference = inMemory(policy);
    Random random = new Random(11);
    assertMatchesInMemory(tested, reference, random, 100);
    String key = keyOf(tested, "k", 0);
    // The newest entry gets a total of 2^52 - 5, the largest then stored.
    long newest = (long) redis().zrangeWithScores(key, -1, -1).get(0).getScore();
    long shift = MAX_TOTAL - 5 - newest;
    for (String member : redis().zrange(key, 0, -1)) {
      redis().zincrby(key, shift, member);
    }

    long rebased = 0;
    for (int i = 0; i < 200; i++) {
      assertMatchesInMemory(tested, reference, random, 1);
      rebased += redis().zscore(key, "base") == 0 ? 1 : 0;
    }

    assertThat(rebased).as("decisions after a rebase").isPositive();
    assertThat(redis().zscore(key, "base")).isLessThan((double) MAX_TOTAL - 5);
  }

  /**
   * 300 entries that all leave the window at once: each admission removes at most 100 of
   * them, the rest stay before the base until later admissions remove them, and decisions do
   * not count them.
   */
  @Test
  void manyEntriesLeaving_removedAtMostHundredPerAdmission() {
    Policy policy = Policy.of("drain",
        Limit.of(Algorithm.SLIDING_LOG, 1_000, Duration.ofSeconds(10)));
    PolicyBinding tested = stores.open().bind(policy);
    PolicyBinding reference = inMemory(policy);
    for (int i = 0; i < 300; i++) {
      clock.advance(MILLI);
      assertThat(tested.tryAcquire("k", 1, Long.MAX_VALUE))
          .isEqualTo(reference.tryAcquire("k", 1, Long.MAX_VALUE));
    }
    String key = keyOf(tested, "k", 0);
    assertThat(redis().zcard(key)).isEqualTo(301);

    clock.advance(20 * SECOND);
    for (int admission = 1; admission <= 4; admission++) {
      clock.advance(MILLI);
      assertThat(tested.tryAcquire("k", 2, Long.MAX_VALUE))
          .isEqualTo(reference.tryAcquire("k", 2, Long.MAX_VALUE));
      long left = Math.max(0, 300 - admission * MAX_REMOVALS);
      // The entries left before the base, the base, and the entries of these admissions.
      assertThat(redis().zcard(key)).as("entries after admission %d", admission)
          .isEqualTo(left + 1 + admission);
    }
    assertMatchesInMemory(tested, reference, new Random(3), 300);
  }

  /**
   * Server time and expiry: the key expires within one period of its newest entry, and the
   * next request finds the whole limit.
   */
  @Test
  void serverTime_keyExpiresAfterPeriod() throws Exception {
    RedisStore store = stores.closeAfterTest(RedisStore.builder().uri(REDIS.uri())
        .commandTimeout(Duration.ofSeconds(30)).build());
    PolicyBinding log = store.bind(Policy.of("expiring",
        Limit.of(Algorithm.SLIDING_LOG, Limit.MAX_SLIDING_LOG_LIMIT, Duration.ofMillis(300))));
    for (int i = 0; i < 50; i++) {
      assertThat(log.tryAcquire("k", 1 + i % 7, Long.MAX_VALUE).allowed()).isTrue();
    }
    String key = keyOf(log, "k", 0);
    assertThat(redis().pttl(key)).isBetween(1L, 300L);

    long deadline = System.nanoTime() + 10 * SECOND;
    while (redis().exists(key) == 1 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }

    assertThat(redis().exists(key)).isZero();
    assertThat(log.tryAcquire("k", 1, Long.MAX_VALUE).remaining())
        .isEqualTo(Limit.MAX_SLIDING_LOG_LIMIT - 1);
  }

  /**
   * A policy of a sliding log and a token bucket is all or nothing: a request that one limit
   * denies charges neither, checked on the stored state and against the in-memory store.
   */
  @Test
  void withTokenBucket_allOrNothing() {
    Policy policy = Policy.of("pair",
        Limit.of(Algorithm.SLIDING_LOG, 5, Duration.ofSeconds(10)),
        Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofSeconds(1)));
    PolicyBinding tested = stores.open().bind(policy);
    PolicyBinding reference = inMemory(policy);
    String logKey = keyOf(tested, "k", 0);

    // The bucket holds 3: cost 3 empties it, so the log holds 3 units.
    assertThat(tested.tryAcquire("k", 3, Long.MAX_VALUE).allowed()).isTrue();
    assertThat(reference.tryAcquire("k", 3, Long.MAX_VALUE).allowed()).isTrue();
    // The bucket denies cost 1 now; the log, with room for 2, is not charged.
    clock.advance(MILLI);
    Decision bucketDenial = tested.tryAcquire("k", 1, Long.MAX_VALUE);
    assertThat(bucketDenial).isEqualTo(reference.tryAcquire("k", 1, Long.MAX_VALUE));
    assertThat(bucketDenial.allowed()).isFalse();
    assertThat(redis().zrangeWithScores(logKey, 0, -1)).containsExactly(
        ScoredValue.just(0, "base"), ScoredValue.just(3, Long.toString(T0)));
    // After 1 s the bucket is full again; cost 3 exceeds the log's room of 2, and the
    // bucket keeps its 3 tokens, so that cost 2 then passes both.
    clock.advance(SECOND);
    Decision logDenial = tested.tryAcquire("k", 3, Long.MAX_VALUE);
    assertThat(logDenial).isEqualTo(reference.tryAcquire("k", 3, Long.MAX_VALUE));
    assertThat(logDenial.allowed()).isFalse();
    assertThat(tested.tryAcquire("k", 2, Long.MAX_VALUE))
        .isEqualTo(reference.tryAcquire("k", 2, Long.MAX_VALUE));
    assertThat(tested.tryAcquire("k", 1, Long.MAX_VALUE))
        .isEqualTo(reference.tryAcquire("k", 1, Long.MAX_VALUE));

    assertMatchesInMemory(tested, reference, new Random(5), 1_000);
  }

  /** Sends random requests on key "k" at random times to both and compares each decision. */
  private void assertMatchesInMemory(PolicyBinding tested, PolicyBinding reference,
      Random random, int requests) {
    for (int i = 0; i < requests; i++) {
      if (random.nextInt(20) == 0) {
        clock.rewind(random.nextLong(Math.min(SECOND, clock.nanos() - T0) + 1));
      } else if (random.nextInt(10) != 0) {
        clock.advance(random.nextLong(SECOND));
      }
      long cost = random.nextInt(10) == 0 ? random.nextInt(60) : random.nextInt(4);
      Decision expected = reference.tryAcquire("k", cost, Long.MAX_VALUE);
      assertThat(tested.tryAcquire("k", cost, Long.MAX_VALUE))
          .as("request %d: cost %d at %d", i, cost, clock.nanos())
          .isEqualTo(expected);
    }
  }
}
