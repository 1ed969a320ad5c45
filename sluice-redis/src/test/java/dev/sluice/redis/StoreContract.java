package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import dev.sluice.store.RateLimitStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link RateLimitStore} must show, for each algorithm the store supports.
 * A store passes by implementing {@link #storeFor} in a subclass.
 *
 * <p>The scripted tests expect values worked out by hand in their comments. The randomized
 * tests take the in-memory store as the reference: they drive the store under test and an
 * {@link InMemoryStore} with one fake clock through thousands of requests and compare every
 * decision.
 */
abstract class StoreContract {

  /** 2027-01-15T08:00:00Z: a whole hour, so that windows of a minute or an hour start here. */
  static final long T0 = 1_800_000_000_000_000_000L;

  private static final long SECOND = 1_000_000_000L;
  private static final long DAY = 86_400 * SECOND;

  /** Returns a new, empty store that reads {@code time} (or decides exactly as if it did). */
  protected abstract RateLimitStore storeFor(TimeSource time);

  private final FakeClock clock = new FakeClock(T0);

  private PolicyBinding bind(Limit... limits) {
    return storeFor(clock).bind(Policy.of("contract", limits));
  }

  private void moveClockTo(long nanos) {
    long now = clock.nanos();
    if (nanos >= now) {
      clock.advance(nanos - now);
    } else {
      clock.rewind(now - nanos);
    }
  }

  private static Decision take(PolicyBinding binding, long cost) {
    return binding.tryAcquire("k", cost, Long.MAX_VALUE);
  }

  /**
   * A time source that leaves the range of {@link TimeSource#nanos}, after or before it, is
   * rejected, and nothing is charged: the next reading within the range decides as if the
   * rejected requests had never come.
   */
  @Test
  void tryAcquire_clockOutOfRange_throws() {
    PolicyBinding window = bind(Limit.of(Algorithm.FIXED_WINDOW, 1, Duration.ofMinutes(1)));
    long start = clock.nanos();

    for (long outside : new long[] {TimeSource.MAX_NANOS + 1, Long.MAX_VALUE, -1, -start}) {
      moveClockTo(outside);
      assertThatThrownBy(() -> take(window, 1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("time source returned " + outside + " ns; expected");
      moveClockTo(start);
    }

    assertThat(take(window, 1).allowed()).isTrue();
  }

  @Test
  void tokenBucket_threePerSevenSeconds_refillsExactly() {
    PolicyBinding bucket = bind(Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofSeconds(7)));

    // Full at 3: taking all 3 leaves 0, full again after 3 · 7 s / 3 = 7 s.
    assertThat(take(bucket, 3)).isEqualTo(Decision.allow("3/7s", 3, 0, 7 * SECOND, 0));
    // One token needs 7 s / 3 = 2,333,333,333.3 ns, rounded up.
    assertThat(take(bucket, 1)).isEqualTo(Decision.deny("3/7s", 3, 0, 7 * SECOND, 2_333_333_334L));
    clock.advance(2_333_333_333L);
    assertThat(take(bucket, 1)).isEqualTo(Decision.deny("3/7s", 3, 0, 4_666_666_667L, 1));
    clock.advance(1);
    // Gained floor(2,333,333,334 · 3 / 7 s) = 1 token; full again once 4 tokens have been
    // gained since the start: ceil(4 · 7 s / 3) = 9,333,333,334 ns, that is 7 s from now.
    assertThat(take(bucket, 1)).isEqualTo(Decision.allow("3/7s", 3, 0, 7 * SECOND, 0));
  }

  @Test
  void tokenBucket_longIdle_refillsWithoutOverflow() {
    PolicyBinding bucket =
        bind(Limit.of(Algorithm.TOKEN_BUCKET, 1_000_000, Duration.ofSeconds(1)));
    String name = "1000000/1s";

    assertThat(take(bucket, 1_000_000))
        .isEqualTo(Decision.allow(name, 1_000_000, 0, SECOND, 0));
    // One token per microsecond.
    assertThat(take(bucket, 1)).isEqualTo(Decision.deny(name, 1_000_000, 0, SECOND, 1_000));
    // 12 h of refill at 10^6 per second is 10^6 · 4.32 · 10^13 ns in one product, above 2^63.
    // The bucket must simply be full.
    clock.advance(Duration.ofHours(12).toNanos());
    assertThat(take(bucket, 1)).isEqualTo(Decision.allow(name, 1_000_000, 999_999, 1_000, 0));
    clock.advance(30 * DAY);
    assertThat(take(bucket, 1_000_000))
        .isEqualTo(Decision.allow(name, 1_000_000, 0, SECOND, 0));
  }

  @Test
  void tokenBucket_idle400Days_refillsToFull() {
    long billion = 1_000_000_000L;
    PolicyBinding bucket = bind(Limit.of(Algorithm.TOKEN_BUCKET, billion, Duration.ofSeconds(1)));
    String name = "1000000000/1s";

    assertThat(take(bucket, billion)).isEqualTo(Decision.allow(name, billion, 0, SECOND, 0));
    clock.advance(400 * DAY);
    assertThat(take(bucket, 1)).isEqualTo(Decision.allow(name, billion, billion - 1, 1, 0));
  }

  @Test
  void tokenBucket_costAboveBurst_deniedForever() {
    PolicyBinding bucket = bind(Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofSeconds(1)));

    assertThat(take(bucket, 6)).isEqualTo(Decision.deny("5/1s", 5, 5, 0, Decision.NEVER));
  }

  @Test
  void tokenBucket_costZero_reportsWithoutCharging() {
    PolicyBinding bucket = bind(Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofSeconds(1)));

    assertThat(take(bucket, 0)).isEqualTo(Decision.allow("5/1s", 5, 5, 0, 0));
    assertThat(take(bucket, 0)).isEqualTo(Decision.allow("5/1s", 5, 5, 0, 0));
    assertThat(take(bucket, 5)).isEqualTo(Decision.allow("5/1s", 5, 0, SECOND, 0));
  }

  @Test
  void leakyBucket_shape_delaysUpToMaxDelay() {
    Limit leaky = Limit.of(Algorithm.LEAKY_BUCKET, 1, Duration.ofSeconds(1)).withBurst(5)
        .withMode(Mode.SHAPE);
    PolicyBinding binding = bind(leaky);

    // Empty: no water ahead of the first unit, which leaks in 1 s.
    assertThat(take(binding, 1)).isEqualTo(Decision.allow("1/1s", 1, 4, SECOND, 0));
    // One unit ahead: wait 1 s; two units then leak in 2 s.
    assertThat(take(binding, 1)).isEqualTo(Decision.allow("1/1s", 1, 3, 2 * SECOND, SECOND));
    // Two units ahead means a 2 s delay, 0.5 s more than the caller accepts.
    assertThat(binding.tryAcquire("k", 1, 1_500_000_000L))
        .isEqualTo(Decision.deny("1/1s", 1, 3, 2 * SECOND, 500_000_000L));
  }

  @Test
  void fixedWindow_fullWindow_deniesUntilNextWindow() {
    PolicyBinding window = bind(Limit.of(Algorithm.FIXED_WINDOW, 5, Duration.ofMinutes(1)));
    clock.advance(10 * SECOND);

    // The window [0 s, 60 s) ends 50 s from now.
    assertThat(take(window, 5)).isEqualTo(Decision.allow("5/1m", 5, 0, 50 * SECOND, 0));
    assertThat(take(window, 1))
        .isEqualTo(Decision.deny("5/1m", 5, 0, 50 * SECOND, 50 * SECOND));
    clock.advance(50 * SECOND);
    assertThat(take(window, 1)).isEqualTo(Decision.allow("5/1m", 5, 4, 60 * SECOND, 0));
    assertThat(take(window, 6)).isEqualTo(Decision.deny("5/1m", 5, 4, 60 * SECOND,
        Decision.NEVER));
  }

  @Test
  void gcra_tenPerMinute_spacesBySixSeconds() {
    PolicyBinding gcra = bind(Limit.of(Algorithm.GCRA, 10, Duration.ofMinutes(1)));

    // Emission interval 60 s / 10 = 6 s: one request puts the TAT 6 s ahead.
    assertThat(take(gcra, 1)).isEqualTo(Decision.allow("10/1m", 10, 9, 6 * SECOND, 0));
    assertThat(take(gcra, 9)).isEqualTo(Decision.allow("10/1m", 10, 0, 60 * SECOND, 0));
    // 66 s ahead would exceed the 60 s tolerance by one interval.
    assertThat(take(gcra, 1))
        .isEqualTo(Decision.deny("10/1m", 10, 0, 60 * SECOND, 6 * SECOND));
  }

  @Test
  void slidingWindow_previousWindowWeighsByOverlap() {
    PolicyBinding sliding = bind(Limit.of(Algorithm.SLIDING_WINDOW, 10, Duration.ofMinutes(1)));
    clock.advance(59_900_000_000L);

    // Forgotten once the next window ends, at 120 s: 60.1 s from now.
    assertThat(take(sliding, 10))
        .isEqualTo(Decision.allow("10/1m", 10, 0, 60_100_000_000L, 0));
    clock.advance(200_000_000L);
    // At 60.1 s the 10 weigh 10 · 59.9 / 60 = 9.98, so the estimate is 10. One more fits
    // once 10 · (60 s − e) / 60 s ≤ 9, at e = 6 s: 5.9 s from now.
    assertThat(take(sliding, 1)).isEqualTo(
        Decision.deny("10/1m", 10, 0, 59_900_000_000L, 5_900_000_000L));
    clock.advance(29_900_000_000L);
    // At 90 s they weigh 5; the new unit keeps the key until 180 s.
    assertThat(take(sliding, 1)).isEqualTo(Decision.allow("10/1m", 10, 4, 90 * SECOND, 0));
  }

  @Test
  void slidingLog_fullLog_waitsForOldestToLeave() {
    PolicyBinding log = bind(Limit.of(Algorithm.SLIDING_LOG, 3, Duration.ofSeconds(10)));

    // 2 units at 0 s and 1 at 4 s; the window (t − 10 s, t] contains all 3 until 10 s.
    assertThat(take(log, 2)).isEqualTo(Decision.allow("3/10s", 3, 1, 10 * SECOND, 0));
    clock.advance(4 * SECOND);
    assertThat(take(log, 1)).isEqualTo(Decision.allow("3/10s", 3, 0, 10 * SECOND, 0));
    // 2 more fit only once the 2 units of 0 s leave, at 10 s: 6 s from now.
    assertThat(take(log, 2)).isEqualTo(Decision.deny("3/10s", 3, 0, 10 * SECOND, 6 * SECOND));
    clock.advance(6 * SECOND);
    // Only the unit of 4 s is left; it leaves at 14 s, but the new ones keep the key to 20 s.
    assertThat(take(log, 2)).isEqualTo(Decision.allow("3/10s", 3, 0, 10 * SECOND, 0));
    assertThat(take(log, 1)).isEqualTo(Decision.deny("3/10s", 3, 0, 10 * SECOND, 4 * SECOND));
  }

  @Test
  void policy_oneLimitDenies_noLimitCharged() {
    PolicyBinding policy = bind(
        Limit.of(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(1)).withName("per-second"),
        Limit.of(Algorithm.FIXED_WINDOW, 3, Duration.ofMinutes(1)).withName("per-minute"));

    assertThat(take(policy, 1)).isEqualTo(Decision.allow("per-second", 2, 1, 60 * SECOND, 0));
    assertThat(take(policy, 1)).isEqualTo(Decision.allow("per-second", 2, 0, 60 * SECOND, 0));
    // The bucket is empty and denies; the window, with 1 left, must not be charged.
    assertThat(take(policy, 1))
        .isEqualTo(Decision.deny("per-second", 2, 0, 60 * SECOND, 500_000_000L));
    clock.advance(SECOND);
    // The bucket is full again (2); the window's last unit goes, so it reports.
    assertThat(take(policy, 1)).isEqualTo(Decision.allow("per-minute", 3, 0, 59 * SECOND, 0));
    assertThat(take(policy, 1))
        .isEqualTo(Decision.deny("per-minute", 3, 0, 59 * SECOND, 59 * SECOND));
  }

  @Test
  void tryAcquire_awkwardKeys_keptApart() {
    PolicyBinding window = bind(Limit.of(Algorithm.FIXED_WINDOW, 1, Duration.ofMinutes(1)));
    List<String> keys = List.of("{a}", "a}", "{", "}", "a b", "a\nb", "a:b", "a%3Ab", "é",
        "%C3%A9", "\u0000", "\uD800", "\uD800\uDC00", "", " ");

    for (String key : keys) {
      assertThat(window.tryAcquire(key, 1, Long.MAX_VALUE).allowed())
          .as("first request of key '%s'", key).isTrue();
    }
    for (String key : keys) {
      assertThat(window.tryAcquire(key, 1, Long.MAX_VALUE).allowed())
          .as("second request of key '%s'", key).isFalse();
    }
  }

  @Test
  void bind_samePolicyAgain_keepsState() {
    Limit limit = Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofMinutes(1));
    RateLimitStore store = storeFor(clock);
    take(store.bind(Policy.of("reload", limit)), 5);

    Decision afterReload = take(store.bind(Policy.of("reload", limit)), 1);

    assertThat(afterReload.allowed()).isFalse();
  }

  private static final long HOUR = 3_600 * SECOND;

  /** Returns a named leaky bucket, whose keys keep their state when its numbers change. */
  private static Limit hourlyLeaky(long limit, long burst, Mode mode) {
    return Limit.of(Algorithm.LEAKY_BUCKET, limit, Duration.ofHours(1)).withBurst(burst)
        .withMode(mode).withName("hourly");
  }

  private static Limit hourlyTokens(long burst) {
    return hourlyTokens(1, burst);
  }

  private static Limit hourlyTokens(long limit, long burst) {
    return Limit.of(Algorithm.TOKEN_BUCKET, limit, Duration.ofHours(1)).withBurst(burst)
        .withName("hourly");
  }

  private static PolicyBinding rebind(RateLimitStore store, Limit limit) {
    return store.bind(Policy.of("rebind", limit));
  }

  @Test
  void leakyBucket_rebindLargerBurst_keepsWater() {
    RateLimitStore store = storeFor(clock);
    PolicyBinding before = rebind(store, hourlyLeaky(1, 20, Mode.SHAPE));
    for (int i = 0; i < 5; i++) {
      take(before, 1);
    }
    // 5 units of water ahead of the 6th, at 1 unit per hour: 5 h; 6 units leak in 6 h.
    assertThat(take(before, 1)).isEqualTo(Decision.allow("hourly", 1, 14, 6 * HOUR, 5 * HOUR));

    PolicyBinding after = rebind(store, hourlyLeaky(1, 40, Mode.SHAPE));

    // The 6 units stay in the larger bucket: the 7th waits 6 h, 40 − 7 = 33 fit, 7 h to empty.
    assertThat(take(after, 1)).isEqualTo(Decision.allow("hourly", 1, 33, 7 * HOUR, 6 * HOUR));
  }

  @Test
  void leakyBucket_rebindSmallerBurst_keepsWater() {
    RateLimitStore store = storeFor(clock);
    take(rebind(store, hourlyLeaky(1, 20, Mode.POLICE)), 5);

    PolicyBinding after = rebind(store, hourlyLeaky(1, 10, Mode.POLICE));

    // 5 units of water in a bucket of 10: 5 fit, and the water leaks in 5 h.
    assertThat(take(after, 0)).isEqualTo(Decision.allow("hourly", 1, 5, 5 * HOUR, 0));
    assertThat(take(after, 5)).isEqualTo(Decision.allow("hourly", 1, 0, 10 * HOUR, 0));
    assertThat(take(after, 1)).isEqualTo(Decision.deny("hourly", 1, 0, 10 * HOUR, HOUR));
  }

  @Test
  void leakyBucket_rebindBelowWater_overFull() {
    RateLimitStore store = storeFor(clock);
    take(rebind(store, hourlyLeaky(1, 20, Mode.SHAPE)), 15);

    PolicyBinding after = rebind(store, hourlyLeaky(1, 10, Mode.SHAPE));

    // 15 units in a bucket of 10: nothing fits, 15 h until empty, and one unit fits once 6
    // have leaked, in 6 h.
    assertThat(take(after, 1)).isEqualTo(Decision.deny("hourly", 1, 0, 15 * HOUR, 6 * HOUR));
    assertThat(take(after, 10)).isEqualTo(Decision.deny("hourly", 1, 0, 15 * HOUR, 15 * HOUR));
    assertThat(take(after, 11)).isEqualTo(Decision.deny("hourly", 1, 0, 15 * HOUR,
        Decision.NEVER));
    clock.advance(6 * HOUR - 1);
    // The first decision converted the water, which has leaked since: 1 ns before the sixth
    // unit has leaked, 9 h + 1 ns before the rest has.
    assertThat(take(after, 1)).isEqualTo(Decision.deny("hourly", 1, 0, 9 * HOUR + 1, 1));
    clock.advance(1);
    // 9 units left, 1 added: 9 h of water ahead, 10 h until empty.
    assertThat(take(after, 1)).isEqualTo(Decision.allow("hourly", 1, 0, 10 * HOUR, 9 * HOUR));
  }

  /**
   * Lists, for each algorithm, a limit of 10 per minute, the same limit lowered so that 6 units
   * taken at once are above it, and the wait until a look of cost 0 fits again. The token bucket
   * is left out, because it keeps its tokens capped at the lowered burst and is never above it.
   */
  static Stream<Arguments> loweredLimits() {
    Duration minute = Duration.ofMinutes(1);
    return Stream.of(
        // Until the window ends.
        Arguments.of(Limit.of(Algorithm.FIXED_WINDOW, 10, minute),
            Limit.of(Algorithm.FIXED_WINDOW, 4, minute), 60 * SECOND),
        // Until the 6 units logged now leave the log.
        Arguments.of(Limit.of(Algorithm.SLIDING_LOG, 10, minute),
            Limit.of(Algorithm.SLIDING_LOG, 4, minute), 60 * SECOND),
        // In the next window the 6 weigh 6 · (60 s − e) / 60 s, at most 4 from e = 20 s on.
        Arguments.of(Limit.of(Algorithm.SLIDING_WINDOW, 10, minute),
            Limit.of(Algorithm.SLIDING_WINDOW, 4, minute), 80 * SECOND),
        // The arrival time is 6 · 6 s ahead, and a burst of 2 allows 12 s ahead.
        Arguments.of(Limit.of(Algorithm.GCRA, 10, minute),
            Limit.of(Algorithm.GCRA, 10, minute).withBurst(2), 24 * SECOND),
        // 6 units of water in a bucket of 4: 2 leak at one per 6 s.
        Arguments.of(Limit.of(Algorithm.LEAKY_BUCKET, 10, minute),
            Limit.of(Algorithm.LEAKY_BUCKET, 10, minute).withBurst(4), 12 * SECOND),
        Arguments.of(Limit.of(Algorithm.LEAKY_BUCKET, 10, minute).withMode(Mode.SHAPE),
            Limit.of(Algorithm.LEAKY_BUCKET, 10, minute).withBurst(4).withMode(Mode.SHAPE),
            12 * SECOND));
  }

  @ParameterizedTest
  @MethodSource("loweredLimits")
  void look_keyAboveLoweredLimit_deniedUntilWithin(Limit limit, Limit lowered, long wait) {
    RateLimitStore store = storeFor(clock);
    assertThat(take(rebind(store, limit.withName("minute")), 6).allowed()).isTrue();
    PolicyBinding after = rebind(store, lowered.withName("minute"));

    Decision look = take(after, 0);
    Decision lookAgain = take(after, 0);
    boolean admittedOutcomeOnly = after.tryAcquireAllowed("k", 0);
    clock.advance(wait - 1);
    Decision lookJustBefore = take(after, 0);
    clock.advance(1);
    Decision lookAtWait = take(after, 0);

    assertThat(look.allowed()).isFalse();
    assertThat(look.retryAfterNanos()).isEqualTo(wait);
    assertThat(look.remaining()).isZero();
    assertThat(lookAgain).isEqualTo(look);
    assertThat(admittedOutcomeOnly).isFalse();
    assertThat(lookJustBefore.allowed()).isFalse();
    assertThat(lookJustBefore.retryAfterNanos()).isEqualTo(1);
    assertThat(lookAtWait.allowed()).isTrue();
  }

  @Test
  void leakyBucket_rebindFasterRate_leaksFaster() {
    RateLimitStore store = storeFor(clock);
    take(rebind(store, hourlyLeaky(1, 20, Mode.POLICE)), 10);
    clock.advance(HOUR / 2);

    PolicyBinding after = rebind(store, hourlyLeaky(2, 20, Mode.POLICE));

    // At 1 per hour, half a unit has leaked: 10 units are counted, the half unit is lost.
    // At 2 per hour the 10 units leak in 5 h.
    assertThat(take(after, 0)).isEqualTo(Decision.allow("hourly", 2, 10, 5 * HOUR, 0));
    // Charged now, 11 units leak in 5.5 h.
    assertThat(take(after, 1)).isEqualTo(Decision.allow("hourly", 2, 9, 5 * HOUR + HOUR / 2, 0));
    clock.advance(HOUR);
    // 2 units leaked in the hour: 9 left, 4.5 h to empty.
    assertThat(take(after, 0)).isEqualTo(Decision.allow("hourly", 2, 11, 4 * HOUR + HOUR / 2, 0));
  }

  @Test
  void leakyBucket_deniedAfterRebind_leaksAtNewRate() {
    RateLimitStore store = storeFor(clock);
    take(rebind(store, hourlyLeaky(1, 20, Mode.POLICE)), 20);
    clock.advance(HOUR / 2);
    PolicyBinding after = rebind(store, hourlyLeaky(2, 10, Mode.POLICE));

    // At 1 per hour half a unit has leaked, which the conversion drops: 20 units in a bucket of
    // 10. One more fits once 11 have leaked at 2 per hour, in 5.5 h; all leak in 10 h.
    assertThat(take(after, 1))
        .isEqualTo(Decision.deny("hourly", 2, 0, 10 * HOUR, 5 * HOUR + HOUR / 2));
    clock.advance(5 * HOUR + HOUR / 2);
    // The denial converted the water, so it leaked at 2 per hour since: 9 left, 1 added, and
    // the 10 leak in 5 h. (Leaking at 1 per hour, 14 would be left and the request denied.)
    assertThat(take(after, 1)).isEqualTo(Decision.allow("hourly", 2, 0, 5 * HOUR, 0));
  }

  @Test
  void tokenBucket_deniedAfterRebind_refillsAtNewRate() {
    RateLimitStore store = storeFor(clock);
    take(rebind(store, hourlyTokens(2)), 2);
    PolicyBinding after = rebind(store, hourlyTokens(2, 2));

    // Empty; at 2 per hour the next token comes in 30 min, the bucket is full in 1 h.
    assertThat(take(after, 1)).isEqualTo(Decision.deny("hourly", 2, 0, HOUR, HOUR / 2));
    clock.advance(HOUR / 2);
    // The denial converted the state, so the token came at the new rate.
    assertThat(take(after, 1)).isEqualTo(Decision.allow("hourly", 2, 0, HOUR, 0));
  }

  @Test
  void tokenBucket_rebindOtherBurst_capsTokens() {
    RateLimitStore store = storeFor(clock);
    take(rebind(store, hourlyTokens(20)), 15);

    // 5 tokens left; in a bucket of 40 they stay 5, and 35 more take 35 h.
    assertThat(take(rebind(store, hourlyTokens(40)), 0))
        .isEqualTo(Decision.allow("hourly", 1, 5, 35 * HOUR, 0));
    // In a bucket of 4 they are capped at 4: the bucket is full.
    PolicyBinding smaller = rebind(store, hourlyTokens(4));
    assertThat(take(smaller, 0)).isEqualTo(Decision.allow("hourly", 1, 4, 0, 0));
    assertThat(take(smaller, 4)).isEqualTo(Decision.allow("hourly", 1, 0, 4 * HOUR, 0));
  }

  @Test
  void tryAcquire_negativeCost_rejected() {
    PolicyBinding bucket = bind(Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofSeconds(1)));

    assertThatThrownBy(() -> take(bucket, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cost must be at least 0, got -1");
  }

  @Test
  void randomized_tokenBucket_matchesInMemory() {
    assertMatchesInMemory(1, Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofSeconds(7))
        .withBurst(5));
    assertMatchesInMemory(2, Limit.of(Algorithm.TOKEN_BUCKET, Limit.MAX_UNITS,
        Duration.ofDays(365)));
    // Recovers its burst in exactly 36,500 days, the longest allowed.
    assertMatchesInMemory(3, Limit.of(Algorithm.TOKEN_BUCKET, 7, Duration.ofDays(3_650))
        .withBurst(70));
  }

  @Test
  void randomized_leakyBucket_matchesInMemory() {
    assertMatchesInMemory(4, Limit.of(Algorithm.LEAKY_BUCKET, 10, Duration.ofSeconds(1))
        .withBurst(20).withMode(Mode.SHAPE));
    assertMatchesInMemory(5, Limit.of(Algorithm.LEAKY_BUCKET, 3, Duration.ofMillis(1)));
    assertMatchesInMemory(6, Limit.of(Algorithm.LEAKY_BUCKET, Limit.MAX_UNITS,
        Duration.ofDays(365)).withMode(Mode.SHAPE));
  }

  @Test
  void randomized_fixedWindow_matchesInMemory() {
    assertMatchesInMemory(7, Limit.of(Algorithm.FIXED_WINDOW, 7, Duration.ofSeconds(1)));
    assertMatchesInMemory(8, Limit.of(Algorithm.FIXED_WINDOW, Limit.MAX_UNITS,
        Duration.ofDays(365)));
  }

  @Test
  void randomized_gcra_matchesInMemory() {
    assertMatchesInMemory(9, Limit.of(Algorithm.GCRA, 3, Duration.ofSeconds(7)).withBurst(4));
    assertMatchesInMemory(10, Limit.of(Algorithm.GCRA, Limit.MAX_UNITS, Duration.ofMillis(1)));
    assertMatchesInMemory(11, Limit.of(Algorithm.GCRA, Limit.MAX_UNITS, Duration.ofDays(365)));
  }

  @Test
  void randomized_slidingWindow_matchesInMemory() {
    assertMatchesInMemory(12, Limit.of(Algorithm.SLIDING_WINDOW, 5, Duration.ofSeconds(1)));
    assertMatchesInMemory(13, Limit.of(Algorithm.SLIDING_WINDOW, Limit.MAX_UNITS,
        Duration.ofDays(365)));
  }

  @Test
  void randomized_slidingLog_matchesInMemory() {
    assertMatchesInMemory(15, Limit.of(Algorithm.SLIDING_LOG, 5, Duration.ofSeconds(1)));
    assertMatchesInMemory(16, Limit.of(Algorithm.SLIDING_LOG, 40, Duration.ofMillis(3)));
    assertMatchesInMemory(17, Limit.of(Algorithm.SLIDING_LOG, Limit.MAX_SLIDING_LOG_LIMIT,
        Duration.ofDays(3_650)));
  }

  @Test
  void randomized_multiLimitPolicy_matchesInMemory() {
    assertMatchesInMemory(14,
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withBurst(15),
        Limit.of(Algorithm.FIXED_WINDOW, 50, Duration.ofMinutes(1)),
        Limit.of(Algorithm.GCRA, 100, Duration.ofHours(1)).withBurst(20),
        Limit.of(Algorithm.SLIDING_WINDOW, 30, Duration.ofSeconds(10)),
        Limit.of(Algorithm.LEAKY_BUCKET, 20, Duration.ofSeconds(1)).withBurst(5)
            .withMode(Mode.SHAPE),
        Limit.of(Algorithm.SLIDING_LOG, 12, Duration.ofSeconds(2)));
  }

  @Test
  void randomized_rebindBuckets_matchesInMemory() {
    for (Algorithm algorithm : List.of(Algorithm.TOKEN_BUCKET, Algorithm.LEAKY_BUCKET)) {
      assertRebindsMatchInMemory(20 + algorithm.ordinal(), List.of(
          bucket(algorithm, 3, Duration.ofSeconds(7), 5),
          bucket(algorithm, 3, Duration.ofSeconds(7), 2),
          bucket(algorithm, 10, Duration.ofSeconds(7), 40),
          bucket(algorithm, 1, Duration.ofSeconds(2), 1),
          bucket(algorithm, 7, Duration.ofMillis(30), 9)));
      // Extreme numbers: a full bucket of 2^61 − 1 units rebound to a burst of 1, and back.
      assertRebindsMatchInMemory(30 + algorithm.ordinal(), List.of(
          bucket(algorithm, Limit.MAX_UNITS, Duration.ofDays(365), Limit.MAX_UNITS),
          bucket(algorithm, 1, Duration.ofMillis(1), 1),
          bucket(algorithm, Limit.MAX_UNITS, Duration.ofDays(3_650), 3)));
    }
  }

  private static Limit bucket(Algorithm algorithm, long limit, Duration period, long burst) {
    Limit bucket = Limit.of(algorithm, limit, period).withBurst(burst).withName("bucket");
    return algorithm == Algorithm.LEAKY_BUCKET ? bucket.withMode(Mode.SHAPE) : bucket;
  }

  /**
   * Sends random requests to the store under test and to an in-memory store, rebinding both
   * to another of {@code limits} every few requests, and compares every decision.
   */
  private void assertRebindsMatchInMemory(long seed, List<Limit> limits) {
    FakeClock time = new FakeClock(T0 + 987_654_321L * seed);
    RateLimitStore tested = storeFor(time);
    RateLimitStore reference = InMemoryStore.builder().timeSource(time).build();
    Random random = new Random(seed);
    Limit limit = limits.get(0);
    long latest = time.nanos();
    PolicyBinding testedBinding = tested.bind(Policy.of("rebind-" + seed, limit));
    PolicyBinding referenceBinding = reference.bind(Policy.of("rebind-" + seed, limit));
    Decision last = null;
    for (int i = 0; i < RANDOM_REQUESTS; i++) {
      if (random.nextInt(8) == 0) {
        limit = limits.get(random.nextInt(limits.size()));
        testedBinding = tested.bind(Policy.of("rebind-" + seed, limit));
        referenceBinding = reference.bind(Policy.of("rebind-" + seed, limit));
      }
      if (random.nextInt(25) == 0) {
        rewind(time, random.nextLong(Math.min(limit.periodNanos(), time.nanos() - T0) + 1),
            latest, limit);
      } else {
        long advance = randomAdvance(random, limit, time.nanos(), last);
        time.advance(Math.min(advance, LAST_INSTANT - time.nanos()));
      }
      // After a rebinding to a shorter period, the clock may be further behind than it allows.
      time.advance(Math.max(0, latest - limit.periodNanos() - time.nanos()));
      latest = Math.max(latest, time.nanos());
      String key = RANDOM_KEYS.get(random.nextInt(RANDOM_KEYS.size()));
      long cost = randomCost(random, limit);
      long maxDelay = random.nextInt(3) == 0
          ? random.nextLong(limit.periodNanos() + 1) : Long.MAX_VALUE;
      Decision expected = referenceBinding.tryAcquire(key, cost, maxDelay);
      Decision actual = testedBinding.tryAcquire(key, cost, maxDelay);
      assertThat(actual)
          .as("request %d of seed %d under %s: key %s, cost %d, max delay %d, at %d", i, seed,
              limit, key, cost, maxDelay, time.nanos())
          .isEqualTo(expected);
      last = expected;
    }
  }

  private static final int RANDOM_REQUESTS = 400;
  /** Where the randomized clock stops: the latest reading a store accepts. */
  private static final long LAST_INSTANT = dev.sluice.TimeSource.MAX_NANOS;
  private static final List<String> RANDOM_KEYS = List.of("alice", "{bob}", "carol\n");

  /**
   * Sends the same random requests, at the same random times (now and then a little back, as
   * racing requests see them), with costs and clock steps sized for the limit of the smallest
   * burst, to the store under test and to an in-memory store, and compares every decision.
   */
  private void assertMatchesInMemory(long seed, Limit... limits) {
    Policy policy = Policy.of("random-" + seed, limits);
    FakeClock time = new FakeClock(T0 + 123_456_789L * seed);
    PolicyBinding tested = storeFor(time).bind(policy);
    PolicyBinding reference = InMemoryStore.builder().timeSource(time).build().bind(policy);
    Random random = new Random(seed);
    Limit driver = Arrays.stream(limits)
        .min(Comparator.comparingLong(Limit::burst)).orElseThrow();
    Decision last = null;
    long latest = time.nanos();
    int[] outcomes = new int[3];
    for (int i = 0; i < RANDOM_REQUESTS; i++) {
      if (random.nextInt(25) == 0) {
        // A request that read the clock before one decided earlier: state from its future.
        rewind(time, random.nextLong(Math.min(driver.periodNanos(), time.nanos() - T0) + 1),
            latest, driver);
      } else {
        long advance = randomAdvance(random, driver, time.nanos(), last);
        time.advance(Math.min(advance, LAST_INSTANT - time.nanos()));
      }
      latest = Math.max(latest, time.nanos());
      String key = RANDOM_KEYS.get(random.nextInt(RANDOM_KEYS.size()));
      long cost = randomCost(random, driver);
      long maxDelay = random.nextInt(5) == 0
          ? random.nextLong(driver.periodNanos() + 1) : Long.MAX_VALUE;
      Decision expected = reference.tryAcquire(key, cost, maxDelay);
      Decision actual = tested.tryAcquire(key, cost, maxDelay);
      assertThat(actual)
          .as("request %d of seed %d: key %s, cost %d, max delay %d, at %d", i, seed, key, cost,
              maxDelay, time.nanos())
          .isEqualTo(expected);
      last = expected;
      outcomes[expected.allowed() ? 0 : expected.costExceedsLimit() ? 2 : 1]++;
    }
    String[] kinds = {"admissions", "denials", "denials for ever"};
    for (int kind = 0; kind < kinds.length; kind++) {
      assertThat(outcomes[kind]).as("%s of seed %d", kinds[kind], seed)
          .isGreaterThan(RANDOM_REQUESTS / 20);
    }
  }

  /**
   * Moves the clock back by {@code duration}, but to no more than one period of
   * {@code limit} before {@code latest}, the latest time of a request so far. A request from
   * further back would find stored times that the Redis store rejects as too far ahead: it
   * cannot tell them from damaged ones.
   */
  private static void rewind(FakeClock time, long duration, long latest, Limit limit) {
    long earliest = latest - limit.periodNanos();
    time.rewind(Math.max(0, Math.min(duration, time.nanos() - earliest)));
  }

  /** Returns a cost around the burst's edges, small, random up to it, or far beyond it. */
  private static long randomCost(Random random, Limit limit) {
    long burst = limit.burst();
    return switch (random.nextInt(9)) {
      case 0 -> 0;
      case 1, 2 -> 1;
      case 3 -> 1 + random.nextLong(Math.min(burst, 10));
      case 4 -> burst;
      case 5 -> burst + 1;
      case 6 -> 1 + random.nextLong(burst);
      case 7 -> Long.MAX_VALUE;
      default -> Math.max(1, burst / (1 + random.nextInt(5)));
    };
  }

  /**
   * Returns a clock advance: none, one nanosecond, exactly the last retry after or reset after,
   * to a window boundary or one nanosecond before it, a random part of a period, or 400 idle days.
   */
  private static long randomAdvance(Random random, Limit limit, long now, Decision last) {
    long period = limit.periodNanos();
    long toBoundary = period - Math.floorMod(now, period);
    return switch (random.nextInt(12)) {
      case 0, 1, 2 -> 0;
      case 3 -> 1;
      case 4 -> last == null ? 0 : Math.max(0, last.retryAfterNanos());
      case 5 -> last == null ? 0 : last.resetAfterNanos();
      case 6 -> toBoundary;
      case 7 -> toBoundary - 1;
      case 8 -> random.nextLong(Math.max(1, period / limit.limit()) * 3 + 1);
      case 9 -> random.nextLong(2 * period + 1);
      case 10 -> random.nextInt(100) == 0 ? 400 * DAY : random.nextLong(period / 4 + 1);
      default -> random.nextLong(1_000_000);
    };
  }
}
