package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.RateLimiter;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RateLimiter#acquire} on the Redis store gives up by its deadline. The store runs on
 * client time from a fake clock whose sleep advances it, so waiting takes no real time and
 * the clock shows how long the limiter waited. Both tests start at the same time on one
 * server, so each uses a key of its own.
 */
class RedisAcquireTimeoutTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long MILLI = 1_000_000L;
  private static final long START = 1_700_000_000L * SECOND;

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();

  private FakeClock clock;
  private RedisStore store;
  private RateLimiter limiter;

  /** Token bucket capacity 1, 1 per 5 s: the next unit comes 5 s after the last one is taken. */
  @BeforeEach
  void openStore() {
    clock = new FakeClock(START);
    store = RedisStore.builder().uri(REDIS.uri()).commandTimeout(Duration.ofSeconds(30))
        .timeMode(TimeMode.CLIENT).timeSource(clock).withoutExpiry().build();
    Policy policy = Policy.of("timeout",
        Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(5)));
    limiter = RateLimiter.builder(policy).timeSource(clock).store(store).build();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void acquire_permitBeyondDeadline_returnsFalseAtOnce() throws Exception {
    assertThat(limiter.acquire("beyond", 1, Duration.ofSeconds(1))).isTrue();
    assertThat(clock.nanos()).as("clock after the first acquire").isEqualTo(START);

    assertThat(limiter.acquire("beyond", 1, Duration.ofSeconds(1))).isFalse();
    assertThat(clock.nanos()).as("clock after the acquire that gave up").isEqualTo(START);

    assertThat(limiter.tryAcquire("beyond", 1).allowed()).as("at 0 s").isFalse();
    clock.advance(4_999 * MILLI);
    assertThat(limiter.tryAcquire("beyond", 1).allowed()).as("at 4.999 s").isFalse();
    clock.advance(MILLI);
    // Admitted at exactly 5 s, so the acquire that gave up charged nothing.
    assertThat(limiter.tryAcquire("beyond", 1).allowed()).as("at 5 s").isTrue();
  }

  @Test
  void acquire_permitWithinDeadline_waitsUntilIt() throws Exception {
    assertThat(limiter.tryAcquire("within", 1).allowed()).isTrue();

    assertThat(limiter.acquire("within", 1, Duration.ofSeconds(6))).isTrue();

    assertThat(clock.nanos() - START).as("time waited").isEqualTo(5 * SECOND);
    assertThat(limiter.tryAcquire("within", 1).allowed()).as("right after the wait").isFalse();
  }
}
