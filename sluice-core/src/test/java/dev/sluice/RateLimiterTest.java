package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.store.InMemoryStore;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.FIXED_WINDOW, 2, Duration.ofDays(1)));

  @Test
  void of_systemTimeSource_decidesInMemory() {
    RateLimiter limiter = RateLimiter.of(POLICY);

    assertThat(limiter.policy()).isEqualTo(POLICY);
    assertThat(limiter.tryAcquire("k").allowed()).isTrue();
    // A day-long window cannot end between two calls more than once.
    assertThat(limiter.tryAcquire("k", 0).remaining()).isBetween(1L, 2L);
  }

  @Test
  void build_storeOnAnotherTimeSource_throws() {
    InMemoryStore systemStore = InMemoryStore.create();
    RateLimiter.Builder builder =
        RateLimiter.builder(POLICY).timeSource(new FakeTimeSource()).store(systemStore);

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the store's decisions read another time source");
  }

  @Test
  void build_storeWithoutBuilderTimeSource_waitsOnStoreTime() throws Exception {
    FakeTimeSource time = new FakeTimeSource();
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    Policy perSecond = Policy.of("s", Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(1)));
    RateLimiter limiter = RateLimiter.builder(perSecond).store(store).build();
    limiter.tryAcquire("k");

    // Waiting on the system clock would never move the store's time, and would time out.
    boolean acquired = limiter.acquire("k", 1, Duration.ofSeconds(2));

    assertThat(acquired).isTrue();
    assertThat(time.nanos() - FakeTimeSource.START_NANOS).isEqualTo(1_000_000_000L);
  }

  @Test
  void builder_sharedStore_sharesStateBetweenLimiters() {
    FakeTimeSource time = new FakeTimeSource();
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    RateLimiter first = RateLimiter.builder(POLICY).timeSource(time).store(store).build();
    RateLimiter second = RateLimiter.builder(POLICY).timeSource(time).store(store).build();

    first.tryAcquire("k");
    second.tryAcquire("k");

    assertThat(first.tryAcquire("k").allowed()).isFalse();
    assertThat(store.trackedKeys()).isEqualTo(1);
  }

  @Test
  void tryAcquireAsync_inMemory_completesWithTheSameDecisions() {
    FakeTimeSource time = new FakeTimeSource();
    RateLimiter limiter = RateLimiter.builder(POLICY).timeSource(time).build();

    Decision first = limiter.tryAcquireAsync("k", 1).toCompletableFuture().getNow(null);
    Decision second = limiter.tryAcquireAsync("k", 2).toCompletableFuture().getNow(null);

    // A window of 2: the first unit leaves 1, and a cost of 2 no longer fits.
    assertThat(first.allowed()).isTrue();
    assertThat(first.remaining()).isEqualTo(1);
    assertThat(second.allowed()).isFalse();
    assertThat(second.source()).isEqualTo(Decision.Source.STORE);
  }

  @Test
  void tryAcquireAsync_negativeCost_throwsAtOnce() {
    RateLimiter limiter = RateLimiter.of(POLICY);

    assertThatThrownBy(() -> limiter.tryAcquireAsync("k", -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cost must be at least 0, got -1");
  }

  @Test
  void systemTimeSource_readsEpochNanosWithoutGoingBack() {
    TimeSource system = TimeSource.system();

    long first = system.nanos();
    long second = system.nanos();
    long wallClock = Instant.now().toEpochMilli() * 1_000_000L;

    assertThat(second).isGreaterThanOrEqualTo(first);
    // Read once from the wall clock, then advanced by System.nanoTime(): the two agree to well
    // within an hour.
    assertThat(Math.abs(second - wallClock)).isLessThan(Duration.ofHours(1).toNanos());
  }
}
