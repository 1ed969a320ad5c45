package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SlidingWindowTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long MILLI = 1_000_000L;

  private final FakeTimeSource time = new FakeTimeSource();

  private RateLimiter limiter(long limit, Duration period) {
    Policy policy = Policy.of("test", Limit.of(Algorithm.SLIDING_WINDOW, limit, period));
    return RateLimiter.builder(policy).timeSource(time).build();
  }

  @Test
  void tryAcquire_tenBeforeBoundary_weighsThemIntoNextWindow() {
    RateLimiter limiter = limiter(10, Duration.ofSeconds(60));
    time.setSinceStartNanos(59_900 * MILLI);
    assertThat(countAllowed(limiter, 10)).isEqualTo(10);

    // Estimate 10 × 59.9/60 = 9.98: no request of 1 fits.
    time.setSinceStartNanos(60_100 * MILLI);
    Decision denied = limiter.tryAcquire("k");
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.remaining()).isZero();
    // Fits once 10 × (60 − e)/60 ≤ 9, so at e = 6 s: 5.9 s from now.
    assertThat(denied.retryAfterNanos()).isEqualTo(5_900 * MILLI);
    assertThat(countAllowed(limiter, 9)).isZero();

    time.setSinceStartNanos(66 * SECOND - 1);
    assertThat(limiter.tryAcquire("k").allowed()).isFalse();
    time.setSinceStartNanos(66 * SECOND);
    assertThat(limiter.tryAcquire("k").allowed()).isTrue();
  }

  @Test
  void tryAcquire_halfwayThroughWindow_admitsHalf() {
    RateLimiter limiter = limiter(10, Duration.ofSeconds(60));
    time.setSinceStartNanos(59_900 * MILLI);
    countAllowed(limiter, 10);

    // Estimate 10 × 30/60 = 5.
    time.setSinceStart(Duration.ofSeconds(90));
    Decision peek = limiter.tryAcquire("k", 0);
    int admitted = countAllowed(limiter, 10);

    assertThat(peek.remaining()).isEqualTo(5);
    assertThat(admitted).isEqualTo(5);
  }

  @Test
  void tryAcquire_nextWindowStart_previousCountsAtFullWeight() {
    RateLimiter limiter = limiter(10, Duration.ofSeconds(60));
    time.setSinceStartNanos(59_900 * MILLI);
    countAllowed(limiter, 10);
    time.setSinceStart(Duration.ofSeconds(90));
    countAllowed(limiter, 10);

    // The window [60 s, 120 s) holds 5 at weight 1.
    time.setSinceStart(Duration.ofSeconds(120));
    Decision peek = limiter.tryAcquire("k", 0);
    int admitted = countAllowed(limiter, 10);

    assertThat(peek.remaining()).isEqualTo(5);
    // The 5 of [60 s, 120 s) weigh until 180 s; the 5 new ones until 240 s.
    assertThat(peek.resetAfterNanos()).isEqualTo(60 * SECOND);
    assertThat(admitted).isEqualTo(5);
  }

  @Test
  void tryAcquire_limitOne_admitsOncePerTwoWindowsAtWorst() {
    RateLimiter limiter = limiter(1, Duration.ofSeconds(10));

    Decision first = limiter.tryAcquire("k");
    time.setSinceStartNanos(MILLI);
    Decision second = limiter.tryAcquire("k");
    // Estimate at 15 s: 1 × 5/10 + 0 + 1 > 1.
    time.setSinceStart(Duration.ofSeconds(15));
    Decision third = limiter.tryAcquire("k");
    time.setSinceStart(Duration.ofSeconds(20));
    Decision fourth = limiter.tryAcquire("k");

    assertThat(first.allowed()).isTrue();
    // The only earlier time at which 1 more fits is 20 s, when [0, 10) stops counting.
    assertThat(second.allowed()).isFalse();
    assertThat(second.retryAfterNanos()).isEqualTo(20 * SECOND - MILLI);
    assertThat(third.allowed()).isFalse();
    assertThat(third.retryAfterNanos()).isEqualTo(5 * SECOND);
    assertThat(fourth.allowed()).isTrue();
  }

  @Test
  void tryAcquire_currentWindowFull_retriesInNextWindow() {
    RateLimiter limiter = limiter(4, Duration.ofSeconds(10));
    time.setSinceStart(Duration.ofSeconds(2));
    limiter.tryAcquire("k", 4);

    Decision denied = limiter.tryAcquire("k", 1);

    // Next window starts at 10 s with previous 4; 1 fits when 4 × (10 − e)/10 ≤ 3: e = 2.5 s.
    assertThat(denied.retryAfterNanos()).isEqualTo(10_500 * MILLI);
    // The 4 stop counting at 20 s.
    assertThat(denied.resetAfterNanos()).isEqualTo(18 * SECOND);
    time.setSinceStartNanos(12_500 * MILLI - 1);
    assertThat(limiter.tryAcquire("k").allowed()).isFalse();
    time.setSinceStartNanos(12_500 * MILLI);
    assertThat(limiter.tryAcquire("k").allowed()).isTrue();
  }

  @Test
  void tryAcquire_costAboveLimit_deniedNever() {
    RateLimiter limiter = limiter(4, Duration.ofSeconds(10));

    Decision decision = limiter.tryAcquire("k", 5);

    assertThat(decision.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(decision.remaining()).isEqualTo(4);
  }

  @Test
  void tryAcquire_afterTwoIdleWindows_forgetsEverything() {
    RateLimiter limiter = limiter(4, Duration.ofSeconds(10));
    limiter.tryAcquire("k", 4);

    time.setSinceStart(Duration.ofSeconds(20));
    Decision peek = limiter.tryAcquire("k", 0);

    assertThat(peek.remaining()).isEqualTo(4);
    assertThat(peek.resetAfterNanos()).isZero();
  }

  private static int countAllowed(RateLimiter limiter, int requests) {
    int allowed = 0;
    for (int i = 0; i < requests; i++) {
      if (limiter.tryAcquire("k").allowed()) {
        allowed++;
      }
    }
    return allowed;
  }
}
