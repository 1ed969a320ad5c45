package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.redis.Breaker.Attempt;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The circuit breaker on a clock that only the test moves. */
class BreakerTest {

  private static final long INTERVAL = 1_000;

  private final AtomicLong now = new AtomicLong(5_000);
  private final Breaker breaker = new Breaker(now::get, INTERVAL, "uri=test");

  @Test
  void tryAttempt_closed_callsEveryTime() {
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.CALL);
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.CALL);
    assertThat(breaker.attempts()).isEqualTo(2);
  }

  @Test
  void tryAttempt_afterFailure_skipsUntilOneProbePerInterval() {
    breaker.recordFailure(new IllegalStateException("down"));

    Attempt beforeInterval = breaker.tryAttempt();
    now.addAndGet(INTERVAL - 1);
    Attempt oneNanoBefore = breaker.tryAttempt();
    now.addAndGet(1);
    Attempt atInterval = breaker.tryAttempt();
    Attempt afterProbe = breaker.tryAttempt();

    assertThat(beforeInterval).isEqualTo(Attempt.SKIP);
    assertThat(oneNanoBefore).isEqualTo(Attempt.SKIP);
    assertThat(atInterval).isEqualTo(Attempt.PROBE);
    assertThat(afterProbe).isEqualTo(Attempt.SKIP);
    assertThat(breaker.attempts()).isEqualTo(1);
  }

  @Test
  void recordSuccess_ofCallSentBeforeFailure_keepsOpen() {
    breaker.recordFailure(new IllegalStateException("down"));

    breaker.recordSuccess(Attempt.CALL);

    assertThat(breaker.isOpen()).isTrue();
  }

  @Test
  void recordSuccess_ofProbe_closes() {
    breaker.recordFailure(new IllegalStateException("down"));
    now.addAndGet(INTERVAL);
    Attempt probe = breaker.tryAttempt();

    breaker.recordSuccess(probe);

    assertThat(breaker.isOpen()).isFalse();
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.CALL);
  }

  @Test
  void recordFailure_ofProbe_waitsAnotherInterval() {
    breaker.recordFailure(new IllegalStateException("down"));
    now.addAndGet(INTERVAL);
    breaker.tryAttempt();

    breaker.recordFailure(new IllegalStateException("still down"));

    assertThat(breaker.isOpen()).isTrue();
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.SKIP);
    now.addAndGet(INTERVAL);
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.PROBE);
  }
}
