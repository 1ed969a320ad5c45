package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SlidingLogTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long MILLI = 1_000_000L;

  private final FakeTimeSource time = new FakeTimeSource();

  private RateLimiter limiter(long limit, Duration period) {
    Policy policy = Policy.of("test", Limit.of(Algorithm.SLIDING_LOG, limit, period));
    return RateLimiter.builder(policy).timeSource(time).build();
  }

  @Test
  void tryAcquire_tenEachSideOfBoundary_admitsOnlyFirstTen() {
    RateLimiter limiter = limiter(10, Duration.ofSeconds(60));

    time.setSinceStartNanos(59_900 * MILLI);
    int first = countAllowed(limiter, 10);
    time.setSinceStartNanos(60_100 * MILLI);
    int second = countAllowed(limiter, 10);
    Decision denied = limiter.tryAcquire("k");

    assertThat(first).isEqualTo(10);
    assertThat(second).isZero();
    // The ten leave the window at 59.9 s + 60 s = 119.9 s.
    assertThat(denied.retryAfterNanos()).isEqualTo(59_800 * MILLI);
    assertThat(denied.resetAfterNanos()).isEqualTo(59_800 * MILLI);
    time.setSinceStartNanos(119_900 * MILLI - 1);
    assertThat(limiter.tryAcquire("k").allowed()).isFalse();
    time.setSinceStartNanos(119_900 * MILLI);
    assertThat(countAllowed(limiter, 11)).isEqualTo(10);
  }

  @Test
  void tryAcquire_entryExactlyOnePeriodOld_hasLeftWindow() {
    RateLimiter limiter = limiter(3, Duration.ofSeconds(10));
    limiter.tryAcquire("k");
    time.setSinceStart(Duration.ofSeconds(4));
    limiter.tryAcquire("k");
    time.setSinceStart(Duration.ofSeconds(8));
    limiter.tryAcquire("k");

    // The window is (t − 10 s, t]: at t = 10 s the entry of t = 0 no longer counts.
    time.setSinceStartNanos(10 * SECOND - 1);
    Decision before = limiter.tryAcquire("k");
    assertThat(before.allowed()).isFalse();
    assertThat(before.retryAfterNanos()).isEqualTo(1);
    assertThat(before.remaining()).isZero();
    time.setSinceStart(Duration.ofSeconds(10));
    Decision atEdge = limiter.tryAcquire("k");
    assertThat(atEdge.allowed()).isTrue();
    assertThat(atEdge.remaining()).isZero();
    // The newest entry, now at 10 s, leaves at 20 s.
    assertThat(atEdge.resetAfterNanos()).isEqualTo(10 * SECOND);
  }

  @Test
  void tryAcquire_costTwo_waitsForTwoOldestEntries() {
    RateLimiter limiter = limiter(3, Duration.ofSeconds(10));
    limiter.tryAcquire("k");
    time.setSinceStart(Duration.ofSeconds(4));
    limiter.tryAcquire("k");
    time.setSinceStart(Duration.ofSeconds(8));
    limiter.tryAcquire("k");

    time.setSinceStart(Duration.ofSeconds(9));
    Decision denied = limiter.tryAcquire("k", 2);

    // Entries of 0 s and 4 s must leave: the second one leaves at 14 s.
    assertThat(denied.retryAfterNanos()).isEqualTo(5 * SECOND);
    // The newest entry (8 s) leaves at 18 s.
    assertThat(denied.resetAfterNanos()).isEqualTo(9 * SECOND);
    time.setSinceStartNanos(14 * SECOND - 1);
    assertThat(limiter.tryAcquire("k", 2).allowed()).isFalse();
    time.setSinceStart(Duration.ofSeconds(14));
    assertThat(limiter.tryAcquire("k", 2).allowed()).isTrue();
  }

  @Test
  void tryAcquire_weightedEntry_leavesAsOneBlock() {
    RateLimiter limiter = limiter(5, Duration.ofSeconds(10));
    limiter.tryAcquire("k", 4);
    time.setSinceStart(Duration.ofSeconds(2));
    limiter.tryAcquire("k", 1);

    time.setSinceStart(Duration.ofSeconds(3));
    Decision denied = limiter.tryAcquire("k", 1);

    assertThat(denied.remaining()).isZero();
    assertThat(denied.retryAfterNanos()).isEqualTo(7 * SECOND);
    time.setSinceStart(Duration.ofSeconds(10));
    assertThat(limiter.tryAcquire("k", 0).remaining()).isEqualTo(4);
  }

  @Test
  void tryAcquire_costAboveLimit_deniedNever() {
    RateLimiter limiter = limiter(3, Duration.ofSeconds(10));

    Decision fresh = limiter.tryAcquire("k", 4);
    limiter.tryAcquire("k", 1);
    Decision used = limiter.tryAcquire("k", Long.MAX_VALUE);

    assertThat(fresh.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(fresh.remaining()).isEqualTo(3);
    assertThat(used.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(used.remaining()).isEqualTo(2);
  }

  @Test
  void tryAcquire_freshKeyPeek_reportsFullLimit() {
    RateLimiter limiter = limiter(3, Duration.ofSeconds(10));

    Decision peek = limiter.tryAcquire("k", 0);

    assertThat(peek.remaining()).isEqualTo(3);
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
