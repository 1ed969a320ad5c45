package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MultiLimitPolicyTest {

  private static final long SECOND = 1_000_000_000L;

  private final FakeTimeSource time = new FakeTimeSource();

  /** "minute": 3 per 60 s fixed window; "hour": a token bucket of 4 per hour. */
  private RateLimiter minuteAndHour() {
    Policy policy = Policy.of("api",
        Limit.of(Algorithm.FIXED_WINDOW, 3, Duration.ofMinutes(1)).withName("minute"),
        Limit.of(Algorithm.TOKEN_BUCKET, 4, Duration.ofHours(1)).withName("hour"));
    return RateLimiter.builder(policy).timeSource(time).build();
  }

  @Test
  void tryAcquire_deniedByOneLimit_chargesNoOther() {
    RateLimiter limiter = minuteAndHour();

    Decision first = limiter.tryAcquire("k", 2);
    time.setSinceStart(Duration.ofSeconds(1));
    // "minute" has 1 left; "hour" would admit 2 of its 2.
    Decision deniedByMinute = limiter.tryAcquire("k", 2);
    time.setSinceStart(Duration.ofSeconds(2));
    // Were the denied request charged to "hour", it would have no unit left now.
    Decision third = limiter.tryAcquire("k", 1);

    assertThat(first.allowed()).isTrue();
    assertThat(deniedByMinute.allowed()).isFalse();
    assertThat(deniedByMinute.limitName()).isEqualTo("minute");
    assertThat(deniedByMinute.retryAfterNanos()).isEqualTo(59 * SECOND);
    assertThat(third.allowed()).isTrue();
    assertThat(third.remaining()).isZero();
    time.setSinceStart(Duration.ofSeconds(60));
    Decision peek = limiter.tryAcquire("k", 0);
    // "minute" is back to 3; "hour" has 1 (60 s refill 4/60 of a unit).
    assertThat(peek.remaining()).isEqualTo(1);
    assertThat(peek.limitName()).isEqualTo("hour");
  }

  @Test
  void tryAcquire_deniedBySecondLimit_chargesFirstLimitNothing() {
    RateLimiter limiter = minuteAndHour();
    limiter.tryAcquire("k", 2);
    time.setSinceStart(Duration.ofSeconds(60));
    limiter.tryAcquire("k", 2);

    // "hour" has 0 (+120 s × 4/3600 = 0.13); "minute" has 1 left and would admit 1.
    Decision deniedByHour = limiter.tryAcquire("k", 1);

    assertThat(deniedByHour.allowed()).isFalse();
    assertThat(deniedByHour.limitName()).isEqualTo("hour");
    // 4 units taken from a full bucket of 4: the next one has refilled at 900 s, 840 s from now.
    assertThat(deniedByHour.retryAfterNanos()).isEqualTo(840 * SECOND);
    assertThat(deniedByHour.remaining()).isZero();
    time.setSinceStart(Duration.ofSeconds(900));
    Decision peek = limiter.tryAcquire("k", 0);
    assertThat(peek.remaining()).isEqualTo(1);
  }

  @Test
  void tryAcquire_allAdmit_reportsFewestRemaining() {
    RateLimiter limiter = minuteAndHour();

    Decision decision = limiter.tryAcquire("k", 1);

    // "minute" 2 left, reset at 60 s; "hour" 3 left, full again after 900 s.
    assertThat(decision.allowed()).isTrue();
    assertThat(decision.limitName()).isEqualTo("minute");
    assertThat(decision.limit()).isEqualTo(3);
    assertThat(decision.remaining()).isEqualTo(2);
    assertThat(decision.resetAfterNanos()).isEqualTo(900 * SECOND);
  }

  @Test
  void tryAcquire_bothDeny_reportsLongestRetryAfter() {
    RateLimiter limiter = minuteAndHour();
    limiter.tryAcquire("k", 3);
    time.setSinceStart(Duration.ofSeconds(60));
    limiter.tryAcquire("k", 1);
    time.setSinceStart(Duration.ofSeconds(61));
    limiter.tryAcquire("k", 2);

    // "minute" 0 left (retry 59 s); "hour" 0 left, next unit refilled at 900 s (retry 839 s).
    Decision denied = limiter.tryAcquire("k", 1);

    assertThat(denied.limitName()).isEqualTo("hour");
    assertThat(denied.retryAfterNanos()).isEqualTo(839 * SECOND);
  }

  @Test
  void tryAcquire_costAboveOneLimit_deniedNever() {
    RateLimiter limiter = minuteAndHour();

    // 4 fits "hour" (burst 4) but never "minute" (limit 3).
    Decision decision = limiter.tryAcquire("k", 4);

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(decision.limitName()).isEqualTo("minute");
    assertThat(limiter.tryAcquire("k", 3).allowed()).isTrue();
  }

  @Test
  void tryAcquire_deniedByOneLimit_reportsStateBeforeRequest() {
    Policy policy = Policy.of("api",
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofMinutes(1)).withName("bucket"),
        Limit.of(Algorithm.FIXED_WINDOW, 5, Duration.ofMinutes(1)).withName("window"));
    RateLimiter limiter = RateLimiter.builder(policy).timeSource(time).build();

    // "bucket" would admit 8 of its 10, "window" never admits more than 5.
    Decision denied = limiter.tryAcquire("k", 8);

    // Nothing was charged: 5 units fit now, and the key is in its initial state.
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(denied.remaining()).isEqualTo(5);
    assertThat(denied.resetAfterNanos()).isZero();
  }

  @Test
  void tryAcquire_shapingLimitAmongOthers_reportsItsDelay() {
    Policy policy = Policy.of("api",
        Limit.of(Algorithm.LEAKY_BUCKET, 2, Duration.ofSeconds(1)).withMode(Mode.SHAPE)
            .withName("shape"),
        Limit.of(Algorithm.FIXED_WINDOW, 10, Duration.ofMinutes(1)).withName("minute"));
    RateLimiter limiter = RateLimiter.builder(policy).timeSource(time).build();

    limiter.tryAcquire("k", 1);
    Decision second = limiter.tryAcquire("k", 1);

    assertThat(second.delayNanos()).isEqualTo(500_000_000L);
  }
}
