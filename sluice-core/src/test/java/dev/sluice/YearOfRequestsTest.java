package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A year of one request per millisecond at 3 per 7 s must admit exactly
 * {@code 3 + floor(3 · elapsed / 7 s)} units: no drift from rounding.
 *
 * <p>Since a denial changes nothing, the test does not make 3·10<sup>10</sup> calls. From each
 * admission it asks the next millisecond, and jumps to the first millisecond at or after the
 * reported retry after; a real request one millisecond before that must be denied.
 */
class YearOfRequestsTest {

  private static final long MILLI = 1_000_000L;
  private static final long PERIOD = 7_000_000_000L;
  private static final long YEAR = Duration.ofDays(365).toNanos();

  static Stream<Limit> rateLimits() {
    Duration period = Duration.ofNanos(PERIOD);
    return Stream.of(
        Limit.of(Algorithm.TOKEN_BUCKET, 3, period),
        Limit.of(Algorithm.GCRA, 3, period),
        Limit.of(Algorithm.LEAKY_BUCKET, 3, period),
        Limit.of(Algorithm.LEAKY_BUCKET, 3, period).withMode(Mode.SHAPE));
  }

  @ParameterizedTest
  @MethodSource("rateLimits")
  void tryAcquire_everyMillisecondForYear_admitsExactlyRate(Limit limit) {
    FakeTimeSource time = new FakeTimeSource();
    RateLimiter limiter = RateLimiter.builder(Policy.of("year", limit)).timeSource(time).build();
    long admitted = 0;
    long lastAdmission = 0;

    long t = 0;
    while (t <= YEAR) {
      time.setSinceStartNanos(t);
      Decision decision = limiter.tryAcquire("k", 1);
      if (decision.allowed()) {
        admitted++;
        lastAdmission = t;
        t += MILLI;
        continue;
      }
      long next = ceilToMilli(t + decision.retryAfterNanos());
      if (next - MILLI > t) {
        time.setSinceStartNanos(next - MILLI);
        assertThat(limiter.tryAcquire("k", 1).allowed())
            .as("request 1 ms before the retry after, at %d ns", next - MILLI)
            .isFalse();
      }
      t = next;
    }

    // Each unit becomes available at ceil(k · 7 s / 3) and is taken within the next 1 ms.
    long expected = 3 + Math.floorDiv(3 * YEAR, PERIOD);
    assertThat(admitted).isEqualTo(expected);
    assertThat(lastAdmission).isLessThanOrEqualTo(YEAR);
  }

  private static long ceilToMilli(long nanos) {
    return Math.floorDiv(nanos + MILLI - 1, MILLI) * MILLI;
  }
}
