package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LeakyBucketTest {

  private static final long MILLI = 1_000_000L;

  private final FakeTimeSource time = new FakeTimeSource();

  /** Leaks 2 per second, holds at most 4: one unit leaks every 500 ms. */
  private static Limit twoPerSecondBurstFour(Mode mode) {
    return Limit.of(Algorithm.LEAKY_BUCKET, 2, Duration.ofSeconds(1)).withBurst(4).withMode(mode);
  }

  private RateLimiter limiter(Limit limit) {
    return RateLimiter.builder(Policy.of("test", limit)).timeSource(time).build();
  }

  @Test
  void tryAcquire_police_fillsToBurstWithoutDelay() {
    RateLimiter limiter = limiter(twoPerSecondBurstFour(Mode.POLICE));

    for (int i = 1; i <= 4; i++) {
      Decision decision = limiter.tryAcquire("k");
      assertThat(decision.allowed()).as("request %d", i).isTrue();
      assertThat(decision.delayNanos()).as("delay of %d", i).isZero();
      assertThat(decision.remaining()).as("remaining after %d", i).isEqualTo(4 - i);
      // i units leak in i × 500 ms.
      assertThat(decision.resetAfterNanos()).as("reset after %d", i).isEqualTo(i * 500 * MILLI);
    }
    Decision fifth = limiter.tryAcquire("k");
    assertThat(fifth.allowed()).isFalse();
    assertThat(fifth.retryAfterNanos()).isEqualTo(500 * MILLI);
    assertThat(fifth.resetAfterNanos()).isEqualTo(2_000 * MILLI);
  }

  @Test
  void tryAcquire_police_admitsExactlyWhenOneUnitHasLeaked() {
    RateLimiter limiter = limiter(twoPerSecondBurstFour(Mode.POLICE));
    limiter.tryAcquire("k", 4);

    time.setSinceStartNanos(500 * MILLI - 1);
    assertThat(limiter.tryAcquire("k").retryAfterNanos()).isEqualTo(1);
    time.setSinceStartNanos(500 * MILLI);
    assertThat(limiter.tryAcquire("k").allowed()).isTrue();
  }

  @Test
  void tryAcquire_shape_delaysByWaterAhead() {
    RateLimiter limiter = limiter(twoPerSecondBurstFour(Mode.SHAPE));

    // Level before each request 0, 1, 2, 3 units; each unit takes 500 ms to leak.
    long[] expectedDelays = {0, 500 * MILLI, 1_000 * MILLI, 1_500 * MILLI};
    for (int i = 0; i < 4; i++) {
      Decision decision = limiter.tryAcquire("k");
      assertThat(decision.allowed()).as("request %d", i + 1).isTrue();
      assertThat(decision.delayNanos()).as("delay of %d", i + 1).isEqualTo(expectedDelays[i]);
    }
    Decision fifth = limiter.tryAcquire("k");
    assertThat(fifth.allowed()).isFalse();
    assertThat(fifth.delayNanos()).isZero();
    assertThat(fifth.retryAfterNanos()).isEqualTo(500 * MILLI);

    // At 500 ms the level is 3 again: 1.5 s of water ahead.
    time.setSinceStartNanos(500 * MILLI);
    assertThat(limiter.tryAcquire("k").delayNanos()).isEqualTo(1_500 * MILLI);
  }

  @Test
  void tryAcquire_shapeDelayAboveMax_deniedUntilWaterLeaksAndChargesNothing() {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    PolicyBinding binding = store.bind(Policy.of("test", twoPerSecondBurstFour(Mode.SHAPE)));
    binding.tryAcquire("k", 3, Long.MAX_VALUE);

    // Level 3: the next request would wait 1.5 s; it accepts at most 1 s.
    Decision denied = binding.tryAcquire("k", 1, 1_000 * MILLI);

    assertThat(denied.allowed()).isFalse();
    assertThat(denied.retryAfterNanos()).isEqualTo(500 * MILLI);
    assertThat(binding.tryAcquire("k", 0, Long.MAX_VALUE).remaining()).isEqualTo(1);
    time.setSinceStartNanos(500 * MILLI - 1);
    assertThat(binding.tryAcquire("k", 1, 1_000 * MILLI).allowed()).isFalse();
    time.setSinceStartNanos(500 * MILLI);
    Decision admitted = binding.tryAcquire("k", 1, 1_000 * MILLI);
    assertThat(admitted.allowed()).isTrue();
    assertThat(admitted.delayNanos()).isEqualTo(1_000 * MILLI);
  }

  @Test
  void acquire_shapeWithinMaxWait_sleepsTheDelay() throws InterruptedException {
    RateLimiter limiter = limiter(twoPerSecondBurstFour(Mode.SHAPE));
    limiter.tryAcquire("k", 2);

    boolean acquired = limiter.acquire("k", 1, Duration.ofSeconds(2));

    assertThat(acquired).isTrue();
    assertThat(time.sinceStartNanos()).isEqualTo(1_000 * MILLI);
  }

  @Test
  void acquire_shapeDelayBeyondMaxWait_failsWithoutWaiting() throws InterruptedException {
    RateLimiter limiter = limiter(twoPerSecondBurstFour(Mode.SHAPE));
    limiter.tryAcquire("k", 3);

    // Whenever it is admitted, the request leaves 1.5 s from now, later than 1 s.
    boolean acquired = limiter.acquire("k", 1, Duration.ofSeconds(1));

    assertThat(acquired).isFalse();
    assertThat(time.sinceStartNanos()).isZero();
    assertThat(limiter.tryAcquire("k", 0).remaining()).isEqualTo(1);
  }

  @Test
  void acquire_shapeFullBucketWithinMaxWait_waitsForRoomThenDelay()
      throws InterruptedException {
    RateLimiter limiter = limiter(twoPerSecondBurstFour(Mode.SHAPE));
    limiter.tryAcquire("k", 4);

    // Room at 0.5 s, then 1.5 s of water ahead: it leaves at 2 s.
    boolean acquired = limiter.acquire("k", 1, Duration.ofSeconds(2));

    assertThat(acquired).isTrue();
    assertThat(time.sinceStartNanos()).isEqualTo(2_000 * MILLI);
  }

  @Test
  void tryAcquire_costAboveBurst_deniedNever() {
    RateLimiter limiter = limiter(twoPerSecondBurstFour(Mode.SHAPE));

    Decision decision = limiter.tryAcquire("k", 5);

    assertThat(decision.retryAfterNanos()).isEqualTo(Decision.NEVER);
    assertThat(decision.remaining()).isEqualTo(4);
  }
}
