package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Compares Redis decisions with the in-memory store's at request times where the script's
 * time arithmetic changes method: below one second since the epoch (no whole seconds), around
 * 2^53 ns (where a time stops fitting a Lua number exactly), and at the end of the clock range
 * that stores accept, {@link TimeSource#MAX_NANOS}. Periods of whole seconds, of a divisor of a
 * second and of neither take the three ways of finding the window offset.
 */
class ScriptClockTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long LUA_EXACT_EDGE = 1L << 53;
  private static final List<Long> STARTS = List.of(0L, SECOND - 3, LUA_EXACT_EDGE - 3 * SECOND,
      LUA_EXACT_EDGE - 400_000_000L, LUA_EXACT_EDGE + 5, TimeSource.MAX_NANOS - 20 * SECOND);
  private static final List<Duration> PERIODS = List.of(Duration.ofSeconds(7),
      Duration.ofMillis(250), Duration.ofMillis(1_500));
  private static final List<Algorithm> ALGORITHMS = List.of(Algorithm.TOKEN_BUCKET,
      Algorithm.GCRA, Algorithm.FIXED_WINDOW, Algorithm.SLIDING_WINDOW);
  private static final int REQUESTS = 60;
  private static final long LAST_INSTANT = TimeSource.MAX_NANOS;

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();
  private static int stores;

  @Test
  void tryAcquire_edgeTimes_matchesInMemory() {
    for (long start : STARTS) {
      for (Duration period : PERIODS) {
        for (Algorithm algorithm : ALGORITHMS) {
          assertMatchesInMemory(start, Limit.of(algorithm, 3, period));
        }
      }
    }
  }

  private static void assertMatchesInMemory(long start, Limit limit) {
    FakeClock time = new FakeClock(start);
    Policy policy = Policy.of("clock", limit);
    try (RedisStore store = RedisStore.builder().uri(REDIS.uri())
        .keyPrefix("clock" + stores++).timeMode(TimeMode.CLIENT).timeSource(time)
        // Generous, so that a busy machine never turns a decision into a fail-open one.
        .commandTimeout(Duration.ofSeconds(30))
        .withoutExpiry().build()) {
      PolicyBinding tested = store.bind(policy);
      PolicyBinding reference = InMemoryStore.builder().timeSource(time).build().bind(policy);
      Random random = new Random(start ^ limit.periodNanos());
      for (int i = 0; i < REQUESTS; i++) {
        long step = random.nextBoolean() ? random.nextLong(limit.periodNanos() / 2) : 1;
        time.advance(Math.min(step, LAST_INSTANT - time.nanos()));
        long cost = random.nextInt(4);
        Decision expected = reference.tryAcquire("user", cost, Long.MAX_VALUE);
        assertThat(tested.tryAcquire("user", cost, Long.MAX_VALUE))
            .as("%s at %d, request %d of cost %d", limit, time.nanos(), i, cost)
            .isEqualTo(expected);
      }
    }
  }
}
