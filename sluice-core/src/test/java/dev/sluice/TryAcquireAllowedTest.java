package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link RateLimiter#tryAcquireAllowed} must admit exactly what {@link RateLimiter#tryAcquire}
 * admits: two limiters on one fake clock receive the same random requests, one through each
 * method, and must agree on every outcome and end in the same state.
 */
class TryAcquireAllowedTest {

  static Stream<Policy> policies() {
    Duration second = Duration.ofSeconds(1);
    return Stream.of(
        Policy.of("fixed", Limit.of(Algorithm.FIXED_WINDOW, 5, second)),
        Policy.of("log", Limit.of(Algorithm.SLIDING_LOG, 5, second)),
        Policy.of("sliding", Limit.of(Algorithm.SLIDING_WINDOW, 5, second)),
        Policy.of("bucket",
            Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofSeconds(7)).withBurst(6)),
        Policy.of("police", Limit.of(Algorithm.LEAKY_BUCKET, 4, second).withBurst(8)),
        Policy.of("shape",
            Limit.of(Algorithm.LEAKY_BUCKET, 4, second).withBurst(8).withMode(Mode.SHAPE)),
        Policy.of("gcra", Limit.of(Algorithm.GCRA, 3, Duration.ofSeconds(7)).withBurst(6)),
        Policy.of("both",
            Limit.of(Algorithm.TOKEN_BUCKET, 10, second).withName("per-second"),
            Limit.of(Algorithm.FIXED_WINDOW, 30, Duration.ofMinutes(1)).withName("per-minute")));
  }

  @ParameterizedTest
  @MethodSource("policies")
  void tryAcquireAllowed_randomRequests_matchesTryAcquire(Policy policy) {
    FakeTimeSource time = new FakeTimeSource();
    RateLimiter detailed = RateLimiter.builder(policy).timeSource(time).build();
    RateLimiter outcomeOnly = RateLimiter.builder(policy).timeSource(time).build();
    Random random = new Random(42);
    int admitted = 0;

    for (int i = 0; i < 5_000; i++) {
      String key = "k" + random.nextInt(3);
      long cost = random.nextInt(4);
      boolean expected = detailed.tryAcquire(key, cost).allowed();

      assertThat(outcomeOnly.tryAcquireAllowed(key, cost)).as("request %d", i).isEqualTo(expected);
      admitted += expected ? 1 : 0;
      time.advanceNanos(random.nextInt(4) == 0 ? 0 : random.nextInt(400_000_000));
    }
    for (String key : new String[] {"k0", "k1", "k2"}) {
      assertThat(outcomeOnly.tryAcquire(key, 0)).isEqualTo(detailed.tryAcquire(key, 0));
    }
    assertThat(admitted).isBetween(100, 4_900);
  }

  @ParameterizedTest
  @MethodSource("policies")
  void tryAcquireAllowed_negativeCost_isRejected(Policy policy) {
    RateLimiter limiter = RateLimiter.of(policy);

    assertThatThrownBy(() -> limiter.tryAcquireAllowed("k", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cost must be at least 0, got -1");
  }
}
