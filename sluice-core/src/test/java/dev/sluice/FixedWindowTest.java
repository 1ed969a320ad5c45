package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FixedWindowTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long MILLI = 1_000_000L;

  private final FakeTimeSource time = new FakeTimeSource();

  private RateLimiter limiter(long limit, Duration period) {
    Policy policy = Policy.of("test", Limit.of(Algorithm.FIXED_WINDOW, limit, period));
    return RateLimiter.builder(policy).timeSource(time).build();
  }

  @Test
  void tryAcquire_sixInWindowOfFive_deniesSixthUntilWindowEnd() {
    RateLimiter limiter = limiter(5, Duration.ofSeconds(10));

    for (int i = 1; i <= 5; i++) {
      Decision decision = limiter.tryAcquire("k");
      assertThat(decision.allowed()).as("request %d", i).isTrue();
      assertThat(decision.remaining()).as("remaining after %d", i).isEqualTo(5 - i);
      assertThat(decision.resetAfterNanos()).as("reset after %d", i).isEqualTo(10 * SECOND);
    }
    Decision sixth = limiter.tryAcquire("k");
    assertThat(sixth.allowed()).isFalse();
    assertThat(sixth.remaining()).isZero();
    assertThat(sixth.resetAfterNanos()).isEqualTo(10 * SECOND);
    assertThat(sixth.retryAfterNanos()).isEqualTo(10 * SECOND);
    assertThat(sixth.limit()).isEqualTo(5);
  }

  @Test
  void tryAcquire_windowEdge_oneNanosecondBeforeDeniedAtEdgeAdmitted() {
    RateLimiter limiter = limiter(5, Duration.ofSeconds(10));
    time.setSinceStart(Duration.ofSeconds(3));
    limiter.tryAcquire("k", 5);

    // Windows are aligned to the epoch, not to the first request: this one ends at 10 s.
    time.setSinceStartNanos(10 * SECOND - 1);
    Decision before = limiter.tryAcquire("k");
    assertThat(before.allowed()).isFalse();
    assertThat(before.retryAfterNanos()).isEqualTo(1);

    time.setSinceStartNanos(10 * SECOND);
    Decision atEdge = limiter.tryAcquire("k");
    assertThat(atEdge.allowed()).isTrue();
    assertThat(atEdge.remaining()).isEqualTo(4);
    assertThat(atEdge.resetAfterNanos()).isEqualTo(10 * SECOND);
  }

  @Test
  void tryAcquire_firstRequestMidWindow_retryAfterEndsAtAlignedEdge() {
    RateLimiter limiter = limiter(5, Duration.ofSeconds(10));
    time.setSinceStart(Duration.ofSeconds(3));

    limiter.tryAcquire("k", 5);
    Decision denied = limiter.tryAcquire("k");

    assertThat(denied.retryAfterNanos()).isEqualTo(7 * SECOND);
    assertThat(denied.resetAfterNanos()).isEqualTo(7 * SECOND);
  }

  @Test
  void tryAcquire_freshKeyPeek_reportsFullWindowAndNoReset() {
    RateLimiter limiter = limiter(5, Duration.ofSeconds(10));

    Decision peek = limiter.tryAcquire("k", 0);

    assertThat(peek.allowed()).isTrue();
    assertThat(peek.remaining()).isEqualTo(5);
    assertThat(peek.resetAfterNanos()).isZero();
  }

  @Test
  void tryAcquire_tenEachSideOfBoundary_admitsAllTwenty() {
    // The boundary burst is the documented cost of fixed windows.
    RateLimiter limiter = limiter(10, Duration.ofSeconds(60));

    time.setSinceStartNanos(59_900 * MILLI);
    int before = countAllowed(limiter, 10);
    time.setSinceStartNanos(60_100 * MILLI);
    int after = countAllowed(limiter, 10);

    assertThat(before).isEqualTo(10);
    assertThat(after).isEqualTo(10);
  }

  @Test
  void tryAcquire_costAboveLimit_deniedNever() {
    RateLimiter limiter = limiter(5, Duration.ofSeconds(10));

    Decision decision = limiter.tryAcquire("k", 6);

    assertThat(decision.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(decision.remaining()).isEqualTo(5);
    assertThat(decision.resetAfterNanos()).isZero();
  }

  @Test
  void tryAcquire_costExceedingRemaining_deniedWithoutCharging() {
    RateLimiter limiter = limiter(5, Duration.ofSeconds(10));
    limiter.tryAcquire("k", 3);

    Decision denied = limiter.tryAcquire("k", 3);

    assertThat(denied.allowed()).isFalse();
    assertThat(denied.remaining()).isEqualTo(2);
    assertThat(limiter.tryAcquire("k", 2).allowed()).isTrue();
  }

  @Test
  void tryAcquire_afterIdleWindows_startsAtZero() {
    RateLimiter limiter = limiter(5, Duration.ofSeconds(10));
    limiter.tryAcquire("k", 5);

    time.advance(Duration.ofDays(400));

    assertThat(limiter.tryAcquire("k", 5).allowed()).isTrue();
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
