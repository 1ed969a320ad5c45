package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compares Redis decisions with the in-memory store's at request times where the script's
 * time arithmetic changes method. These are below one second since the epoch (no whole
 * seconds), around Long.MAX_VALUE - 2^53 (where a relative time may start to reach
 * Long.MAX_VALUE), and close to Long.MAX_VALUE. Periods of whole seconds, of a divisor of a
 * second and of neither take the three ways of finding the window offset. The clock stays a
 * period and more below Long.MAX_VALUE, because beyond that the in-memory GCRA's theoretical
 * arrival time overflows a long, while the script's stays exact.
 */
class ScriptClockTest {

  private static final long SECOND = 1_000_000_000L;
  // Long.MAX_VALUE - 2^53 = 9,214,364,837,600,034,815 ns.
  private static final long SAFE_EDGE = Long.MAX_VALUE - (1L << 53);
  private static final List<Long> STARTS = List.of(0L, SECOND - 3, SAFE_EDGE - 3 * SECOND,
      SAFE_EDGE - 400_000_000L, SAFE_EDGE + 5, Long.MAX_VALUE - 20 * SECOND);
  private static final List<Duration> PERIODS = List.of(Duration.ofSeconds(7),
      Duration.ofMillis(250), Duration.ofMillis(1_500));
  private static final List<Algorithm> ALGORITHMS = List.of(Algorithm.TOKEN_BUCKET,
      Algorithm.GCRA, Algorithm.FIXED_WINDOW, Algorithm.SLIDING_WINDOW);
  private static final int REQUESTS = 60;
  private static final long LAST_INSTANT = Long.MAX_VALUE - 8 * SECOND;

  private static RedisServer server;
  private static int stores;

  @BeforeAll
  static void startServer() {
    server = RedisServer.start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

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
    try (RedisStore store = RedisStore.builder().uri(server.uri())
        .keyPrefix("clock" + stores++).timeMode(TimeMode.CLIENT).timeSource(time)
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
