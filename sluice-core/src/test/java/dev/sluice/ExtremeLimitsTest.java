package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The largest legal limits, at the shortest and the longest periods, with costs beyond the
 * limit and long idle times: no decision may overflow into a wrong result.
 */
class ExtremeLimitsTest {

  private static final Duration SHORTEST = Duration.ofMillis(1);
  private static final Duration YEAR = Duration.ofDays(365);
  private static final Duration LONGEST = Limit.MAX_PERIOD;

  static Stream<Arguments> extremes() {
    Stream.Builder<Arguments> cases = Stream.builder();
    for (Algorithm algorithm : Algorithm.values()) {
      long max = algorithm == Algorithm.SLIDING_LOG ? Limit.MAX_SLIDING_LOG_LIMIT : Limit.MAX_UNITS;
      for (Duration period : new Duration[] {SHORTEST, YEAR, LONGEST}) {
        cases.add(Arguments.of(Limit.of(algorithm, max, period)));
      }
    }
    cases.add(Arguments.of(
        Limit.of(Algorithm.LEAKY_BUCKET, Limit.MAX_UNITS, YEAR).withMode(Mode.SHAPE)));
    // The largest burst a slow limit may have: 100 bursts of one unit per 365 days.
    cases.add(Arguments.of(Limit.of(Algorithm.TOKEN_BUCKET, 1, YEAR).withBurst(100)));
    cases.add(Arguments.of(Limit.of(Algorithm.GCRA, 1, YEAR).withBurst(100)));
    return cases.build();
  }

  @ParameterizedTest
  @MethodSource("extremes")
  void tryAcquire_extremeLimit_decidesWithoutOverflow(Limit limit) {
    FakeTimeSource time = new FakeTimeSource();
    RateLimiter limiter = RateLimiter.builder(Policy.of("x", limit)).timeSource(time).build();
    long capacity = limit.burst();

    Decision tooBig = limiter.tryAcquire("k", capacity + 1);
    Decision huge = limiter.tryAcquire("k", Long.MAX_VALUE);
    Decision all = limiter.tryAcquire("k", capacity);
    Decision denied = limiter.tryAcquire("k", 1);

    assertThat(tooBig.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(tooBig.remaining()).isEqualTo(capacity);
    assertThat(huge.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(all.allowed()).isTrue();
    assertThat(all.remaining()).isZero();
    assertThat(all.resetAfterNanos()).isPositive();
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.remaining()).isZero();
    assertThat(denied.retryAfterNanos()).isPositive();
    assertRetryAfterIsExact(limiter, time, denied.retryAfterNanos());
  }

  @ParameterizedTest
  @MethodSource("extremes")
  void tryAcquire_extremeLimitIdle_isBackToInitialState(Limit limit) {
    // From the epoch, so that a recovery of up to 36,500 days stays within TimeSource.MAX_NANOS.
    FakeTimeSource time = new FakeTimeSource(0);
    RateLimiter limiter = RateLimiter.builder(Policy.of("x", limit)).timeSource(time).build();
    Decision fresh = limiter.tryAcquire("k", 0);
    Decision all = limiter.tryAcquire("k", limit.burst());

    time.advanceNanos(all.resetAfterNanos());
    time.advance(Duration.ofDays(400));
    Decision later = limiter.tryAcquire("k", 0);

    assertThat(later).isEqualTo(fresh);
    assertThat(limiter.tryAcquire("k", limit.burst()).allowed()).isTrue();
  }

  private static void assertRetryAfterIsExact(
      RateLimiter limiter, FakeTimeSource time, long retryAfter) {
    if (retryAfter > 1) {
      time.advanceNanos(retryAfter - 1);
      assertThat(limiter.tryAcquire("k", 1).allowed()).as("1 ns before retry after").isFalse();
      time.advanceNanos(1);
    } else {
      time.advanceNanos(retryAfter);
    }
    assertThat(limiter.tryAcquire("k", 1).allowed()).as("at retry after").isTrue();
  }
}
