package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimiterAcquireTest {

  private static final long SECOND = 1_000_000_000L;

  private final FakeTimeSource time = new FakeTimeSource();

  /** A token bucket of 1 per 5 s. */
  private RateLimiter onePerFiveSeconds() {
    Policy policy = Policy.of("test", Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(5)));
    return RateLimiter.builder(policy).timeSource(time).build();
  }

  @Test
  void acquire_unitAvailable_returnsTrueWithoutWaiting() throws InterruptedException {
    RateLimiter limiter = onePerFiveSeconds();

    assertThat(limiter.acquire("k", 1, Duration.ofSeconds(1))).isTrue();
    assertThat(time.sinceStartNanos()).isZero();
  }

  @Test
  void acquire_nextUnitBeyondMaxWait_returnsFalseWithoutWaiting() throws InterruptedException {
    RateLimiter limiter = onePerFiveSeconds();
    limiter.acquire("k", 1, Duration.ofSeconds(1));

    boolean acquired = limiter.acquire("k", 1, Duration.ofSeconds(1));

    assertThat(acquired).isFalse();
    assertThat(time.sinceStartNanos()).isZero();
    assertThat(limiter.tryAcquire("k").allowed()).isFalse();
    time.setSinceStartNanos(4_999_000_000L);
    assertThat(limiter.tryAcquire("k").allowed()).isFalse();
    time.setSinceStartNanos(5 * SECOND);
    assertThat(limiter.tryAcquire("k").allowed()).isTrue();
  }

  @Test
  void acquire_nextUnitWithinMaxWait_returnsExactlyWhenItArrives()
      throws InterruptedException {
    RateLimiter limiter = onePerFiveSeconds();
    limiter.tryAcquire("k");

    boolean acquired = limiter.acquire("k", 1, Duration.ofSeconds(6));

    assertThat(acquired).isTrue();
    assertThat(time.sinceStartNanos()).isEqualTo(5 * SECOND);
    assertThat(limiter.tryAcquire("k").allowed()).isFalse();
  }

  @Test
  void acquire_maxWaitEqualToRetryAfter_succeeds() throws InterruptedException {
    RateLimiter limiter = onePerFiveSeconds();
    limiter.tryAcquire("k");

    assertThat(limiter.acquire("k", 1, Duration.ofSeconds(5))).isTrue();
    assertThat(time.sinceStartNanos()).isEqualTo(5 * SECOND);
  }

  @Test
  void acquire_maxWaitOneNanosecondShort_failsWithoutWaiting() throws InterruptedException {
    RateLimiter limiter = onePerFiveSeconds();
    limiter.tryAcquire("k");

    assertThat(limiter.acquire("k", 1, Duration.ofNanos(5 * SECOND - 1))).isFalse();
    assertThat(time.sinceStartNanos()).isZero();
  }

  @Test
  void acquire_zeroMaxWait_actsLikeTryAcquire() throws InterruptedException {
    RateLimiter limiter = onePerFiveSeconds();

    assertThat(limiter.acquire("k", 1, Duration.ZERO)).isTrue();
    assertThat(limiter.acquire("k", 1, Duration.ZERO)).isFalse();
    assertThat(time.sinceStartNanos()).isZero();
  }

  @Test
  void acquire_costAboveBurst_failsWithoutWaiting() throws InterruptedException {
    RateLimiter limiter = onePerFiveSeconds();

    assertThat(limiter.acquire("k", 2, Duration.ofDays(365))).isFalse();
    assertThat(time.sinceStartNanos()).isZero();
  }

  @Test
  void acquire_maxWaitBeyondNanosecondRange_waitsForUnit() throws InterruptedException {
    RateLimiter limiter = onePerFiveSeconds();
    limiter.tryAcquire("k");

    assertThat(limiter.acquire("k", 1, Duration.ofSeconds(Long.MAX_VALUE))).isTrue();
    assertThat(time.sinceStartNanos()).isEqualTo(5 * SECOND);
  }

  @Test
  void acquire_negativeMaxWait_rejected() {
    RateLimiter limiter = onePerFiveSeconds();

    assertThatThrownBy(() -> limiter.acquire("k", 1, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait must not be negative, got PT-1S");
  }

  @Test
  void tryAcquire_negativeCost_rejected() {
    RateLimiter limiter = onePerFiveSeconds();

    assertThatThrownBy(() -> limiter.tryAcquire("k", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cost must be at least 0, got -1");
  }

  @Test
  void acquire_interruptedWhileWaiting_throwsAndChargesNothing() {
    Policy policy = Policy.of("test", Limit.of(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(5)));
    TimeSource interrupting = new TimeSource() {
      @Override
      public long nanos() {
        return time.nanos();
      }

      @Override
      public void sleepNanos(long nanos) throws InterruptedException {
        throw new InterruptedException("interrupted in test");
      }
    };
    RateLimiter limiter = RateLimiter.builder(policy).timeSource(interrupting).build();
    limiter.tryAcquire("k", 1);

    assertThatThrownBy(() -> limiter.acquire("k", 2, Duration.ofSeconds(10)))
        .isInstanceOf(InterruptedException.class);
    assertThat(limiter.tryAcquire("k", 0).remaining()).isEqualTo(1);
  }

  @Test
  void acquire_otherCallerTakesUnitWhileWaiting_waitsForNextOne() throws InterruptedException {
    Policy policy = Policy.of("test", Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(5)));
    RateLimiter[] self = new RateLimiter[1];
    // A time source whose sleep lets a competing request in just as the waiter wakes up.
    TimeSource competing = new TimeSource() {
      private boolean competed;

      @Override
      public long nanos() {
        return time.nanos();
      }

      @Override
      public void sleepNanos(long nanos) {
        time.sleepNanos(nanos);
        if (!competed) {
          competed = true;
          self[0].tryAcquire("k");
        }
      }
    };
    self[0] = RateLimiter.builder(policy).timeSource(competing).build();
    self[0].tryAcquire("k");

    boolean acquired = self[0].acquire("k", 1, Duration.ofSeconds(11));

    assertThat(acquired).isTrue();
    assertThat(time.sinceStartNanos()).isEqualTo(10 * SECOND);
  }
}
