package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GcraTest {

  private static final long SECOND = 1_000_000_000L;

  private final FakeTimeSource time = new FakeTimeSource();

  private RateLimiter limiter(Limit limit) {
    return RateLimiter.builder(Policy.of("test", limit)).timeSource(time).build();
  }

  @Test
  void tryAcquire_tenPerMinute_admitsBurstThenOneEverySixSeconds() {
    RateLimiter limiter = limiter(Limit.of(Algorithm.GCRA, 10, Duration.ofMinutes(1)));

    for (int i = 1; i <= 10; i++) {
      Decision decision = limiter.tryAcquire("k");
      assertThat(decision.allowed()).as("request %d", i).isTrue();
      // T = 6 s: after i requests the TAT lies i·6 s ahead.
      assertThat(decision.remaining()).as("remaining after %d", i).isEqualTo(10 - i);
      assertThat(decision.resetAfterNanos()).as("reset after %d", i).isEqualTo(i * 6 * SECOND);
    }
    Decision eleventh = limiter.tryAcquire("k");
    assertThat(eleventh.allowed()).isFalse();
    assertThat(eleventh.retryAfterNanos()).isEqualTo(6 * SECOND);
    assertThat(eleventh.resetAfterNanos()).isEqualTo(60 * SECOND);
    assertThat(eleventh.remaining()).isZero();

    time.setSinceStartNanos(6 * SECOND - 1);
    assertThat(limiter.tryAcquire("k").retryAfterNanos()).isEqualTo(1);
    time.setSinceStartNanos(6 * SECOND);
    assertThat(limiter.tryAcquire("k").allowed()).isTrue();
    assertThat(limiter.tryAcquire("k").allowed()).isFalse();
  }

  @Test
  void tryAcquire_fractionalInterval_roundsRetryAfterUp() {
    RateLimiter limiter = limiter(Limit.of(Algorithm.GCRA, 3, Duration.ofSeconds(7)));

    assertThat(limiter.tryAcquire("k", 3).allowed()).isTrue();
    Decision denied = limiter.tryAcquire("k", 1);

    // T = 7 s / 3 = 2,333,333,333.33 ns.
    assertThat(denied.retryAfterNanos()).isEqualTo(2_333_333_334L);
    assertThat(denied.resetAfterNanos()).isEqualTo(7 * SECOND);
    time.setSinceStartNanos(2_333_333_333L);
    assertThat(limiter.tryAcquire("k", 1).allowed()).isFalse();
    time.setSinceStartNanos(2_333_333_334L);
    assertThat(limiter.tryAcquire("k", 1).allowed()).isTrue();
  }

  @Test
  void tryAcquire_burstOne_spacesRequestsByInterval() {
    RateLimiter limiter = limiter(
        Limit.of(Algorithm.GCRA, 4, Duration.ofSeconds(1)).withBurst(1));

    assertThat(limiter.tryAcquire("k").allowed()).isTrue();
    Decision second = limiter.tryAcquire("k");

    assertThat(second.allowed()).isFalse();
    assertThat(second.retryAfterNanos()).isEqualTo(250_000_000L);
    assertThat(limiter.tryAcquire("k", 2).costExceedsLimit()).isTrue();
  }

  @Test
  void tryAcquire_costAboveBurst_deniedNever() {
    RateLimiter limiter = limiter(Limit.of(Algorithm.GCRA, 3, Duration.ofSeconds(2)));

    Decision decision = limiter.tryAcquire("k", 4);

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(decision.remaining()).isEqualTo(3);
    assertThat(limiter.tryAcquire("k", 3).allowed()).isTrue();
  }

  @Test
  void tryAcquire_partlyRecovered_reportsRemainingRoundedDown() {
    RateLimiter limiter = limiter(Limit.of(Algorithm.GCRA, 3, Duration.ofSeconds(7)));
    limiter.tryAcquire("k", 3);

    // 5 s recover 15/7 = 2.14 units; the TAT lies 2 s ahead.
    time.advance(Duration.ofSeconds(5));
    Decision peek = limiter.tryAcquire("k", 0);

    assertThat(peek.remaining()).isEqualTo(2);
    assertThat(peek.resetAfterNanos()).isEqualTo(2 * SECOND);
    assertThat(limiter.tryAcquire("k", 3).retryAfterNanos()).isEqualTo(2 * SECOND);
  }

  @Test
  void tryAcquire_billionPerSecondIdle400Days_isFull() {
    RateLimiter limiter = limiter(Limit.of(Algorithm.GCRA, 1_000_000_000, Duration.ofSeconds(1)));
    limiter.tryAcquire("k", 1_000_000_000);

    time.advance(Duration.ofDays(400));

    Decision decision = limiter.tryAcquire("k", 1);
    assertThat(decision.allowed()).isTrue();
    assertThat(decision.remaining()).isEqualTo(999_999_999);
  }
}
