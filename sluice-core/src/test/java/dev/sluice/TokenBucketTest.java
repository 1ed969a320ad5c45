package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long DAY = 86_400L * SECOND;

  private final FakeTimeSource time = new FakeTimeSource();

  private RateLimiter limiter(Limit limit) {
    return RateLimiter.builder(Policy.of("test", limit)).timeSource(time).build();
  }

  private RateLimiter bucket(long limit, Duration period) {
    return limiter(Limit.of(Algorithm.TOKEN_BUCKET, limit, period));
  }

  @Test
  void tryAcquire_freshKey_startsFullAtBurst() {
    RateLimiter limiter = limiter(
        Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofSeconds(7)).withBurst(5));

    Decision peek = limiter.tryAcquire("k", 0);

    assertThat(peek.allowed()).isTrue();
    assertThat(peek.remaining()).isEqualTo(5);
    assertThat(peek.resetAfterNanos()).isZero();
    assertThat(peek.limit()).isEqualTo(3);
    assertThat(peek.limitName()).isEqualTo("3/7s");
  }

  @Test
  void tryAcquire_emptied_nextUnitRoundedUp() {
    RateLimiter limiter = bucket(3, Duration.ofSeconds(7));

    Decision all = limiter.tryAcquire("k", 3);
    // Refilling 3 tokens at 3 per 7 s takes exactly 7 s.
    assertThat(all.allowed()).isTrue();
    assertThat(all.remaining()).isZero();
    assertThat(all.resetAfterNanos()).isEqualTo(7 * SECOND);

    Decision denied = limiter.tryAcquire("k", 1);
    // 7 s / 3 = 2,333,333,333.33 ns, rounded up.
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.retryAfterNanos()).isEqualTo(2_333_333_334L);
    assertThat(denied.remaining()).isZero();
    assertThat(denied.resetAfterNanos()).isEqualTo(7 * SECOND);

    time.setSinceStartNanos(2_333_333_333L);
    Decision oneNanoEarly = limiter.tryAcquire("k", 1);
    assertThat(oneNanoEarly.allowed()).isFalse();
    assertThat(oneNanoEarly.retryAfterNanos()).isEqualTo(1);

    time.setSinceStartNanos(2_333_333_334L);
    Decision onTime = limiter.tryAcquire("k", 1);
    assertThat(onTime.allowed()).isTrue();
    assertThat(onTime.remaining()).isZero();
    // Full again when 4 tokens have been gained since t = 0: ceil(28 s / 3) = 9,333,333,334 ns.
    assertThat(onTime.resetAfterNanos()).isEqualTo(9_333_333_334L - 2_333_333_334L);
  }

  @Test
  void tryAcquire_emptied_secondUnitWithoutDrift() {
    RateLimiter limiter = bucket(3, Duration.ofSeconds(7));
    limiter.tryAcquire("k", 3);
    time.setSinceStartNanos(2_333_333_334L);
    limiter.tryAcquire("k", 1);

    // The second token appears at ceil(14 s / 3) = 4,666,666,667 ns after emptying.
    time.setSinceStartNanos(4_666_666_666L);
    assertThat(limiter.tryAcquire("k", 1).retryAfterNanos()).isEqualTo(1);
    time.setSinceStartNanos(4_666_666_667L);
    assertThat(limiter.tryAcquire("k", 1).allowed()).isTrue();
  }

  @Test
  void tryAcquire_longIdle_refillsNoHigherThanBurst() {
    RateLimiter limiter = bucket(3, Duration.ofSeconds(7));
    limiter.tryAcquire("k", 3);

    time.advance(Duration.ofHours(1));

    Decision peek = limiter.tryAcquire("k", 0);
    assertThat(peek.remaining()).isEqualTo(3);
    assertThat(peek.resetAfterNanos()).isZero();
    assertThat(limiter.tryAcquire("k", 3).allowed()).isTrue();
    assertThat(limiter.tryAcquire("k", 1).allowed()).isFalse();
  }

  @Test
  void tryAcquire_costAboveBurst_deniedNever() {
    // Capacity 3, refill 3 per 2 s.
    RateLimiter limiter = bucket(3, Duration.ofSeconds(2));

    Decision tooBig = limiter.tryAcquire("k", 4);

    assertThat(tooBig.allowed()).isFalse();
    assertThat(tooBig.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(tooBig.costExceedsLimit()).isTrue();
    assertThat(tooBig.remaining()).isEqualTo(3);
    Decision all = limiter.tryAcquire("k", 3);
    assertThat(all.allowed()).isTrue();
    assertThat(all.remaining()).isZero();
    Decision next = limiter.tryAcquire("k", 1);
    // 2 s / 3 = 666,666,666.67 ns, rounded up.
    assertThat(next.allowed()).isFalse();
    assertThat(next.retryAfterNanos()).isEqualTo(666_666_667L);
    assertThat(next.costExceedsLimit()).isFalse();
  }

  @Test
  void acquire_costAboveBurst_failsWithoutWaiting() throws InterruptedException {
    RateLimiter limiter = bucket(3, Duration.ofSeconds(2));

    boolean acquired = limiter.acquire("k", 4, Duration.ofSeconds(10));

    assertThat(acquired).isFalse();
    assertThat(time.sinceStartNanos()).isZero();
    assertThat(limiter.tryAcquire("k", 0).remaining()).isEqualTo(3);
  }

  @Test
  void tryAcquire_idleTwelveHours_refillsWithoutOverflow() {
    RateLimiter limiter = bucket(1_000_000, Duration.ofSeconds(1));

    Decision all = limiter.tryAcquire("k", 1_000_000);
    assertThat(all.allowed()).isTrue();
    assertThat(all.remaining()).isZero();
    Decision denied = limiter.tryAcquire("k", 1);
    // One token per microsecond.
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.retryAfterNanos()).isEqualTo(1_000);

    // 1e6 tokens/s × 4.32e13 ns exceeds 2^63.
    time.advance(Duration.ofHours(12));
    Decision afterIdle = limiter.tryAcquire("k", 1);
    assertThat(afterIdle.allowed()).isTrue();
    assertThat(afterIdle.remaining()).isEqualTo(999_999);

    time.advance(Duration.ofDays(30));
    Decision afterMonth = limiter.tryAcquire("k", 1_000_000);
    assertThat(afterMonth.allowed()).isTrue();
    assertThat(afterMonth.remaining()).isZero();
  }

  @Test
  void tryAcquire_idle400Days_refillsToFull() {
    RateLimiter limiter = bucket(1_000_000_000, Duration.ofSeconds(1));
    limiter.tryAcquire("k", 1_000_000_000);

    time.advanceNanos(400 * DAY);

    Decision decision = limiter.tryAcquire("k", 1);
    assertThat(decision.allowed()).isTrue();
    assertThat(decision.remaining()).isEqualTo(999_999_999);
  }

  @Test
  void tryAcquire_slowestRefill_deniesFinitely() {
    // A refill rate of 0 is rejected (see LimitTest); the slowest legal one must still deny.
    RateLimiter limiter = bucket(1, Limit.MAX_PERIOD);
    assertThat(limiter.tryAcquire("k").allowed()).isTrue();

    long[] offsets = {1_000_000L, SECOND, 3_600 * SECOND, 30 * DAY};
    for (long offset : offsets) {
      time.setSinceStartNanos(offset);
      Decision decision = limiter.tryAcquire("k");
      assertThat(decision.allowed()).as("at +%d ns", offset).isFalse();
      // The unit is back 3,650 days after t = 0.
      assertThat(decision.retryAfterNanos()).as("at +%d ns", offset)
          .isEqualTo(3_650 * DAY - offset);
    }
  }

  @Test
  void tryAcquire_partlyRefilled_reportsRemainingRoundedDown() {
    RateLimiter limiter = bucket(3, Duration.ofSeconds(7));
    limiter.tryAcquire("k", 3);

    // 5 s × 3/7 = 2.14 tokens.
    time.advance(Duration.ofSeconds(5));
    Decision peek = limiter.tryAcquire("k", 0);

    assertThat(peek.remaining()).isEqualTo(2);
    assertThat(peek.resetAfterNanos()).isEqualTo(2 * SECOND);
    Decision three = limiter.tryAcquire("k", 3);
    assertThat(three.allowed()).isFalse();
    // The third token is due at 7 s.
    assertThat(three.retryAfterNanos()).isEqualTo(2 * SECOND);
    assertThat(three.remaining()).isEqualTo(2);
  }

  @Test
  void tryAcquire_burstAboveLimit_refillsAtLimitRate() {
    RateLimiter limiter = limiter(
        Limit.of(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(1)).withBurst(5));

    assertThat(limiter.tryAcquire("k", 5).allowed()).isTrue();
    Decision denied = limiter.tryAcquire("k", 1);
    // One token per 0.5 s; the whole burst of 5 takes 2.5 s.
    assertThat(denied.retryAfterNanos()).isEqualTo(500_000_000L);
    assertThat(denied.resetAfterNanos()).isEqualTo(2_500_000_000L);
  }

  @Test
  void tryAcquire_deniedRequest_changesNothing() {
    RateLimiter limiter = bucket(3, Duration.ofSeconds(7));
    limiter.tryAcquire("k", 2);
    Decision before = limiter.tryAcquire("k", 0);

    limiter.tryAcquire("k", 2);
    limiter.tryAcquire("k", Long.MAX_VALUE);

    assertThat(limiter.tryAcquire("k", 0)).isEqualTo(before);
  }

  @Test
  void tryAcquire_keys_areIndependent() {
    RateLimiter limiter = bucket(1, Duration.ofSeconds(1));

    assertThat(limiter.tryAcquire("a").allowed()).isTrue();
    assertThat(limiter.tryAcquire("b").allowed()).isTrue();
    assertThat(limiter.tryAcquire("a").allowed()).isFalse();
  }
}
