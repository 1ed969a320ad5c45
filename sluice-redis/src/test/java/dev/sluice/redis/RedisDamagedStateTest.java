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
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Stored states that no request can write. The script rejects them as unreadable, so that the
 * failure mode decides their key. States that requests can write, such as one written by a
 * clock a few minutes ahead, are still decided by Redis.
 */
class RedisDamagedStateTest {

  private static final long T0 = StoreContract.T0;
  private static final long SECOND = 1_000_000_000L;
  private static final long DAY = 86_400 * SECOND;
  private static final long YEAR = 365 * DAY;

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();

  private final FakeClock clock = new FakeClock(T0);
  @RegisterExtension
  final ClientTimeStores stores = new ClientTimeStores(REDIS, clock, "damaged");

  private static RedisCommands<String, String> redis() {
    return REDIS.commands();
  }

  private static String keyOf(PolicyBinding binding, String userKey) {
    return ((RedisBinding) binding).keysOf(userKey)[0];
  }

  /** A stored value and the limit whose state contains it. */
  private record Damage(Limit limit, String field, String value) {}

  /**
   * Binds the limit, admits one request for a fresh user key so that its state exists, sets
   * the field to the damaged value and returns the source of the next decision.
   */
  private Decision.Source decideAfter(RedisStore store, Damage damage, String userKey) {
    PolicyBinding binding = store.bind(Policy.of("p", damage.limit()));
    assertThat(binding.tryAcquire(userKey, 1, Long.MAX_VALUE).source())
        .as("source before damage %s", damage).isEqualTo(Decision.Source.STORE);
    redis().hset(keyOf(binding, userKey), damage.field(), damage.value());
    return binding.tryAcquire(userKey, 1, Long.MAX_VALUE).source();
  }

  /** Asserts that the failure mode, which denies, decides after each damage, on a fresh key. */
  private void assertEachFailsClosed(List<Damage> damages) {
    RedisStore store = stores.open();
    int userKey = 0;
    for (Damage damage : damages) {
      assertThat(decideAfter(store, damage, "user" + userKey++)).as("%s", damage)
          .isEqualTo(Decision.Source.FAILED_CLOSED);
    }
  }

  @Test
  void tryAcquire_malformedCount_failureModeDecides() {
    Limit window = Limit.of(Algorithm.FIXED_WINDOW, 100, Duration.ofHours(1));
    Limit sliding = Limit.of(Algorithm.SLIDING_WINDOW, 100, Duration.ofHours(1));
    Limit bucket = Limit.of(Algorithm.TOKEN_BUCKET, 100, Duration.ofHours(1));
    Limit gcra = Limit.of(Algorithm.GCRA, 100, Duration.ofHours(1));
    List<Damage> damages = List.of(
        new Damage(window, "used", "-1000"),
        new Damage(window, "used", "-5"),
        new Damage(window, "used", "0x10"),
        new Damage(window, "used", " 5"),
        new Damage(window, "used", "5 "),
        new Damage(window, "used", "05"),
        new Damage(window, "used", "+5"),
        new Damage(window, "used", "1e2"),
        new Damage(window, "used", "-0"),
        new Damage(sliding, "current", "-500"),
        new Damage(sliding, "previous", "-1"),
        new Damage(sliding, "current", "0x10"),
        new Damage(bucket, "tokens", "0x10"),
        new Damage(bucket, "tokens", " -5"),
        new Damage(bucket, "tokens", "-2305843009213693952"),
        new Damage(bucket, "tokens", "2305843009213693952"),
        new Damage(window, "used", "99999999999999999999"),
        new Damage(sliding, "previous", "2305843009213693952"),
        new Damage(gcra, "remainder", "-1"),
        new Damage(gcra, "remainder", " 1"),
        new Damage(window, "window_start", " " + T0),
        new Damage(bucket, "ref", "0x" + Long.toHexString(T0)));
    assertEachFailsClosed(damages);
  }

  @Test
  void tryAcquire_timeAYearAhead_failureModeDecides() {
    String yearAhead = Long.toString(T0 + YEAR);
    // A GCRA's TAT may legally lie up to 36,500 days ahead, after a rebinding.
    String pastLongestRecovery = Long.toString(T0 + 36_501 * DAY);
    List<Damage> damages = List.of(
        new Damage(Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)), "ref",
            yearAhead),
        new Damage(Limit.of(Algorithm.LEAKY_BUCKET, 10, Duration.ofSeconds(1)), "ref",
            yearAhead),
        new Damage(Limit.of(Algorithm.FIXED_WINDOW, 100, Duration.ofHours(1)), "window_start",
            yearAhead),
        new Damage(Limit.of(Algorithm.SLIDING_WINDOW, 100, Duration.ofHours(1)), "window_start",
            yearAhead),
        new Damage(Limit.of(Algorithm.GCRA, 10, Duration.ofSeconds(1)), "whole",
            pastLongestRecovery));
    assertEachFailsClosed(damages);
  }

  /**
   * A stored time a period and 5 minutes ahead is still read, and one a nanosecond later is
   * not, on the fast path (whole-second period) and on the general path (1.5 s).
   */
  @Test
  void tryAcquire_timeAtMaxAhead_readButNotBeyond() {
    RedisStore store = stores.open();
    int userKey = 0;
    for (Limit limit : List.of(Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)),
        Limit.of(Algorithm.FIXED_WINDOW, 10, Duration.ofMillis(1_500)))) {
      long maxAhead = T0 + limit.periodNanos() + 300 * SECOND;
      String field = limit.algorithm() == Algorithm.FIXED_WINDOW ? "window_start" : "ref";
      assertThat(decideAfter(store, new Damage(limit, field, Long.toString(maxAhead)),
          "user" + userKey++)).as("%s with %s a period and 5 minutes ahead", limit, field)
          .isEqualTo(Decision.Source.STORE);
      assertThat(decideAfter(store, new Damage(limit, field, Long.toString(maxAhead + 1)),
          "user" + userKey++)).as("%s with %s 1 ns further", limit, field)
          .isEqualTo(Decision.Source.FAILED_CLOSED);
    }
  }

  @Test
  void tryAcquire_slidingLogEntryAYearAhead_failureModeDecides() {
    PolicyBinding binding = stores.open().bind(Policy.of("log",
        Limit.of(Algorithm.SLIDING_LOG, 10, Duration.ofSeconds(10))));
    assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).source())
        .isEqualTo(Decision.Source.STORE);
    redis().zadd(keyOf(binding, "k"), 2, Long.toString(T0 + YEAR));

    assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).source())
        .isEqualTo(Decision.Source.FAILED_CLOSED);
  }

  /**
   * A fixed window with used -1000 under 100 per hour admitted 1,100 requests in one window
   * before stored counts were checked. The store now logs the key and denies by its failure
   * mode.
   */
  @Test
  void tryAcquire_negativeUsed_logsKeyAndAdmitsNothing() {
    try (StoreLog log = StoreLog.open()) {
      PolicyBinding binding = stores.open().bind(Policy.of("fw",
          Limit.of(Algorithm.FIXED_WINDOW, 100, Duration.ofHours(1))));
      assertThat(binding.tryAcquire("cn", 1, Long.MAX_VALUE).allowed()).isTrue();
      String key = keyOf(binding, "cn");
      redis().hset(key, "used", "-1000");

      int admitted = 0;
      for (int i = 0; i < 200; i++) {
        admitted += binding.tryAcquire("cn", 1, Long.MAX_VALUE).allowed() ? 1 : 0;
      }

      assertThat(admitted).isZero();
      // One line per probe interval of 1 s: more only on a machine too busy for 200 calls.
      assertThat(log.records(Level.WARNING)).isNotEmpty().allSatisfy(r -> assertThat(
          r.getMessage()).contains("keys=\"" + key + "\"", "field used is '-1000'"));
    }
  }

  /**
   * A hash of the earlier sliding_log layout with 1,000,000 entries, 1,000 times the most it
   * could hold, is rejected before it is split: the call returns at once instead of holding
   * Redis for seconds.
   */
  @Test
  void tryAcquire_oversizedOldHash_rejected() {
    PolicyBinding binding = stores.open().bind(Policy.of("log",
        Limit.of(Algorithm.SLIDING_LOG, 1_000, Duration.ofSeconds(10))));
    StringBuilder times = new StringBuilder();
    StringBuilder totals = new StringBuilder();
    for (int i = 0; i < 1_000_000; i++) {
      String separator = i == 0 ? "" : ",";
      times.append(separator).append(T0 - 1_000_000 + i);
      totals.append(separator).append(i + 1);
    }
    String key = keyOf(binding, "huge");
    redis().hset(key, Map.of("times", times.toString(), "totals", totals.toString(),
        "base", "0"));

    long start = System.nanoTime();
    Decision decision = binding.tryAcquire("huge", 1, Long.MAX_VALUE);
    long elapsedNanos = System.nanoTime() - start;

    assertThat(decision.source()).isEqualTo(Decision.Source.FAILED_CLOSED);
    // The script that split the whole hash took 3.3 s per call.
    assertThat(elapsedNanos).as("nanoseconds for one decision").isLessThan(SECOND);
  }

  /** The largest hash of the earlier layout, 1,000 entries of 19 digits, is still read. */
  @Test
  void tryAcquire_fullOldHash_decided() {
    PolicyBinding binding = stores.open().bind(Policy.of("log",
        Limit.of(Algorithm.SLIDING_LOG, 1_000, Duration.ofSeconds(10))));
    StringBuilder times = new StringBuilder();
    StringBuilder totals = new StringBuilder();
    long firstTotal = 1_000_000_000_000_000_000L;
    for (int i = 0; i < 1_000; i++) {
      String separator = i == 0 ? "" : ",";
      times.append(separator).append(T0 - 1_000 + i);
      totals.append(separator).append(firstTotal + i);
    }
    redis().hset(keyOf(binding, "full"), Map.of("times", times.toString(),
        "totals", totals.toString(), "base", Long.toString(firstTotal - 1)));

    Decision decision = binding.tryAcquire("full", 1, Long.MAX_VALUE);

    assertThat(decision.source()).isEqualTo(Decision.Source.STORE);
    assertThat(decision.allowed()).isFalse();
  }

  /**
   * States written by a clock 4 minutes ahead of the next request, or a period ahead for a
   * long period, are decided by Redis as in memory.
   */
  @Test
  void tryAcquire_stateFromClockAhead_matchesInMemory() {
    List<Limit> limits = List.of(
        Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(1)).withBurst(3),
        Limit.of(Algorithm.LEAKY_BUCKET, 1, Duration.ofMillis(1)),
        Limit.of(Algorithm.GCRA, 2, Duration.ofSeconds(1)).withBurst(3),
        Limit.of(Algorithm.FIXED_WINDOW, 3, Duration.ofSeconds(1)),
        Limit.of(Algorithm.SLIDING_WINDOW, 3, Duration.ofSeconds(1)),
        Limit.of(Algorithm.SLIDING_LOG, 3, Duration.ofSeconds(1)),
        Limit.of(Algorithm.FIXED_WINDOW, 3, Duration.ofDays(30)),
        Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofDays(30)));
    RedisStore store = stores.open();
    for (Limit limit : limits) {
      Policy policy = Policy.of("ahead", limit);
      PolicyBinding tested = store.bind(policy);
      PolicyBinding reference = InMemoryStore.builder().timeSource(clock).build().bind(policy);
      long ahead = limit.periodNanos() > DAY ? limit.periodNanos() : 240 * SECOND;
      String userKey = limit.algorithm() + "/" + limit.periodNanos();
      clock.advance(ahead);
      assertThat(tested.tryAcquire(userKey, 2, Long.MAX_VALUE))
          .isEqualTo(reference.tryAcquire(userKey, 2, Long.MAX_VALUE));
      clock.rewind(ahead);
      for (int i = 0; i < 3; i++) {
        Decision expected = reference.tryAcquire(userKey, 1, Long.MAX_VALUE);
        assertThat(tested.tryAcquire(userKey, 1, Long.MAX_VALUE))
            .as("%s, request %d at %d ns behind the first", limit, i, ahead)
            .isEqualTo(expected);
      }
    }
  }

  /**
   * A GCRA rebound from 1 per 365 days to 10 per second keeps its TAT a year ahead, as in
   * memory, so Redis still decides it.
   */
  @Test
  void tryAcquire_gcraReboundFarAhead_matchesInMemory() {
    RedisStore store = stores.open();
    InMemoryStore memory = InMemoryStore.builder().timeSource(clock).build();
    Policy yearly = Policy.of("login",
        Limit.of(Algorithm.GCRA, 1, Duration.ofDays(365)).withName("login"));
    Policy perSecond = Policy.of("login",
        Limit.of(Algorithm.GCRA, 10, Duration.ofSeconds(1)).withName("login"));
    assertThat(store.bind(yearly).tryAcquire("k", 1, Long.MAX_VALUE))
        .isEqualTo(memory.bind(yearly).tryAcquire("k", 1, Long.MAX_VALUE));

    PolicyBinding tested = store.bind(perSecond);
    PolicyBinding reference = memory.bind(perSecond);
    Decision expected = reference.tryAcquire("k", 1, Long.MAX_VALUE);

    assertThat(tested.tryAcquire("k", 1, Long.MAX_VALUE)).isEqualTo(expected);
    assertThat(expected.allowed()).isFalse();
  }
}
