package dev.sluice.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.FakeTimeSource;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class InMemoryStoreTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long NO_DELAY_BOUND = Long.MAX_VALUE;

  private final FakeTimeSource time = new FakeTimeSource();

  private InMemoryStore store(long maxKeys, AtCapacity atCapacity) {
    return InMemoryStore.builder().timeSource(time).maxKeys(maxKeys).atCapacity(atCapacity)
        .build();
  }

  private InMemoryStore store() {
    return InMemoryStore.builder().timeSource(time).build();
  }

  private static Policy policy(Algorithm algorithm, long limit, Duration period) {
    return Policy.of("test", Limit.of(algorithm, limit, period));
  }

  private static Decision take(PolicyBinding binding, String key, long cost) {
    return binding.tryAcquire(key, cost, NO_DELAY_BOUND);
  }

  @Test
  void tryAcquire_clockBeyondTheSupportedRange_isRejected() {
    PolicyBinding binding =
        store().bind(policy(Algorithm.FIXED_WINDOW, 3, Duration.ofMinutes(1)));
    time.advanceNanos(dev.sluice.TimeSource.MAX_NANOS + 1 - time.nanos());

    assertThatThrownBy(() -> take(binding, "k", 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("time source returned 4611686018427387905 ns; expected nanoseconds since the"
            + " Unix epoch from 0 to 4611686018427387904");
  }

  @Test
  void tryAcquire_clockAtTheEndOfTheSupportedRange_stillLimits() {
    PolicyBinding binding =
        store().bind(policy(Algorithm.FIXED_WINDOW, 3, Duration.ofMinutes(1)));
    time.advanceNanos(dev.sluice.TimeSource.MAX_NANOS - time.nanos());

    for (int i = 0; i < 3; i++) {
      assertThat(take(binding, "k", 1).allowed()).isTrue();
    }
    assertThat(take(binding, "k", 1).allowed()).isFalse();
  }

  @Test
  void maxDelay_negative_isRejected() {
    PolicyBinding binding =
        store().bind(policy(Algorithm.TOKEN_BUCKET, 3, Duration.ofMinutes(1)));

    assertThatThrownBy(() -> binding.tryAcquire("k", 1, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxDelayNanos must be at least 0, got -1");
  }

  @Test
  void trackedKeys_peekAndDenial_trackNothing() {
    InMemoryStore store = store();
    PolicyBinding binding = store.bind(policy(Algorithm.TOKEN_BUCKET, 3, Duration.ofSeconds(1)));

    take(binding, "peek", 0);
    take(binding, "too-big", 4);

    assertThat(store.trackedKeys()).isZero();
    take(binding, "admitted", 1);
    assertThat(store.trackedKeys()).isEqualTo(1);
  }

  /**
   * Lists each algorithm at 4 per 10 s with the time from which, after one request of cost 1
   * at t = 0, its state equals the initial state.
   */
  static Stream<Arguments> resetTimes() {
    Duration period = Duration.ofSeconds(10);
    return Stream.of(
        // The window [0, 10 s) ends.
        Arguments.of(Limit.of(Algorithm.FIXED_WINDOW, 4, period), 10 * SECOND),
        // The entry of t = 0 leaves (t − 10 s, t].
        Arguments.of(Limit.of(Algorithm.SLIDING_LOG, 4, period), 10 * SECOND),
        // The count of [0, 10 s) weighs in [10 s, 20 s).
        Arguments.of(Limit.of(Algorithm.SLIDING_WINDOW, 4, period), 20 * SECOND),
        // One unit refills, or leaks, in 2.5 s.
        Arguments.of(Limit.of(Algorithm.TOKEN_BUCKET, 4, period), 2_500_000_000L),
        Arguments.of(Limit.of(Algorithm.LEAKY_BUCKET, 4, period), 2_500_000_000L),
        Arguments.of(
            Limit.of(Algorithm.LEAKY_BUCKET, 4, period).withMode(Mode.SHAPE), 2_500_000_000L),
        Arguments.of(Limit.of(Algorithm.GCRA, 4, period), 2_500_000_000L));
  }

  @ParameterizedTest
  @MethodSource("resetTimes")
  void cleanUp_keyBackToInitialState_isForgotten(Limit limit, long resetAtNanos) {
    InMemoryStore store = store();
    PolicyBinding binding = store.bind(Policy.of("test", limit));

    Decision admitted = take(binding, "k", 1);
    time.setSinceStartNanos(resetAtNanos - 1);
    store.cleanUp();
    long trackedJustBefore = store.trackedKeys();
    time.setSinceStartNanos(resetAtNanos);
    store.cleanUp();

    assertThat(admitted.resetAfterNanos()).isEqualTo(resetAtNanos);
    assertThat(trackedJustBefore).isEqualTo(1);
    assertThat(store.trackedKeys()).isZero();
    Decision fresh = take(binding, "k", 0);
    assertThat(fresh.remaining()).isEqualTo(4);
    assertThat(fresh.resetAfterNanos()).isZero();
  }

  @Test
  void cleanUp_multiLimitKey_keptUntilEveryLimitResets() {
    InMemoryStore store = store();
    PolicyBinding binding = store.bind(Policy.of("two",
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withName("second"),
        Limit.of(Algorithm.FIXED_WINDOW, 100, Duration.ofMinutes(1)).withName("minute")));
    take(binding, "k", 1);

    time.setSinceStart(Duration.ofSeconds(59));
    store.cleanUp();
    long trackedBeforeMinuteEnds = store.trackedKeys();
    time.setSinceStart(Duration.ofSeconds(60));
    store.cleanUp();

    assertThat(trackedBeforeMinuteEnds).isEqualTo(1);
    assertThat(store.trackedKeys()).isZero();
  }

  @Test
  void tryAcquire_newKeys_reclaimExpiredKeysIncrementally() {
    InMemoryStore store = store();
    PolicyBinding binding = store.bind(policy(Algorithm.FIXED_WINDOW, 1, Duration.ofSeconds(1)));
    for (int i = 0; i < 10; i++) {
      take(binding, "old-" + i, 1);
    }

    time.advance(Duration.ofSeconds(1));
    for (int i = 0; i < 20; i++) {
      take(binding, "new-" + i, 1);
    }

    // Each insertion looks at two tracked keys; without cleanUp() the old ones went anyway.
    assertThat(store.trackedKeys()).isEqualTo(20);
  }

  @Test
  void tryAcquire_streamOfOneOffKeys_staysWithinMaxKeys() {
    InMemoryStore store = store(100, AtCapacity.EVICT_SOONEST_RESET);
    PolicyBinding binding = store.bind(policy(Algorithm.TOKEN_BUCKET, 5, Duration.ofHours(1)));

    long maxTracked = 0;
    for (int i = 0; i < 10_000; i++) {
      assertThat(take(binding, "once-" + i, 1).allowed()).as("key %d", i).isTrue();
      maxTracked = Math.max(maxTracked, store.trackedKeys());
    }

    assertThat(maxTracked).isEqualTo(100);
  }

  @Test
  void tryAcquire_evictAtCapacity_forgetsKeyClosestToReset() {
    InMemoryStore store = store(2, AtCapacity.EVICT_SOONEST_RESET);
    PolicyBinding binding = store.bind(policy(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(10)));
    take(binding, "a", 1);
    time.setSinceStart(Duration.ofSeconds(5));
    take(binding, "b", 1);

    time.setSinceStart(Duration.ofSeconds(6));
    Decision newKey = take(binding, "c", 1);

    // "a" resets at 10 s, "b" at 15 s: "a" is forgotten and starts afresh.
    assertThat(newKey.allowed()).isTrue();
    assertThat(store.trackedKeys()).isEqualTo(2);
    assertThat(take(binding, "b", 0).remaining()).isZero();
    assertThat(take(binding, "a", 0).remaining()).isEqualTo(1);
  }

  /**
   * A key at its limit keeps its history while new keys churn through a full store. In a
   * window, every key used in it resets at its end, so ordering by reset alone evicted the
   * key at its limit as often as any other, and it was admitted anew each time.
   */
  @ParameterizedTest
  @EnumSource(value = Algorithm.class,
      names = {"FIXED_WINDOW", "SLIDING_WINDOW", "SLIDING_LOG", "TOKEN_BUCKET", "GCRA"})
  void tryAcquire_hotKeyAmidNewKeysAtCapacity_admitsOnlyTheLimit(Algorithm algorithm) {
    InMemoryStore store = store(10, AtCapacity.EVICT_SOONEST_RESET);
    PolicyBinding binding = store.bind(policy(algorithm, 5, Duration.ofHours(1)));

    int admitted = 0;
    for (int i = 0; i < 1_000; i++) {
      time.advance(Duration.ofMillis(1));
      admitted += take(binding, "hot", 1).allowed() ? 1 : 0;
      take(binding, "new-" + i, 1);
    }

    assertThat(admitted).isEqualTo(5);
    assertThat(store.trackedKeys()).isEqualTo(10);
  }

  /**
   * A binding from before a rebinding with other limits still decides, but the keys it adds
   * are not kept: nothing could ever remove them, and at the cap they would lock out new keys.
   */
  @Test
  void tryAcquire_bindingFromBeforeRebinding_holdsNoSlot() {
    InMemoryStore store = store(3, AtCapacity.DENY_NEW_KEYS);
    PolicyBinding stale = store.bind(policy(Algorithm.FIXED_WINDOW, 5, Duration.ofHours(1)));
    PolicyBinding current = store.bind(policy(Algorithm.TOKEN_BUCKET, 5, Duration.ofHours(1)));

    for (int i = 0; i < 3; i++) {
      assertThat(take(stale, "old-" + i, 1).allowed()).isTrue();
    }
    Decision newKey = take(current, "new", 1);

    assertThat(newKey.allowed()).isTrue();
    assertThat(store.trackedKeys()).isEqualTo(1);
  }

  @Test
  void tryAcquire_evictAtCapacity_forgetsLeastUsedKey() {
    InMemoryStore store = store(2, AtCapacity.EVICT_SOONEST_RESET);
    PolicyBinding binding = store.bind(policy(Algorithm.FIXED_WINDOW, 5, Duration.ofHours(1)));
    take(binding, "three", 3);
    take(binding, "one", 1);

    take(binding, "new", 1);

    // Both reset at the end of the hour; "one" has fewer units to give back.
    assertThat(take(binding, "three", 0).remaining()).isEqualTo(2);
    assertThat(take(binding, "one", 0).remaining()).isEqualTo(5);
  }

  @Test
  void tryAcquire_denyNewKeysAtCapacity_deniesOnlyNewKeys() {
    InMemoryStore store = store(2, AtCapacity.DENY_NEW_KEYS);
    PolicyBinding binding = store.bind(policy(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(10)));
    take(binding, "a", 1);
    take(binding, "b", 1);

    Decision newKey = take(binding, "c", 1);

    assertThat(newKey.allowed()).isFalse();
    assertThat(newKey.limitName()).isEqualTo("max_keys");
    assertThat(newKey.retryAfterNanos()).isEqualTo(SECOND);
    assertThat(take(binding, "a", 1).allowed()).isTrue();
    assertThat(take(binding, "a", 1).allowed()).isFalse();
    assertThat(store.trackedKeys()).isEqualTo(2);
  }

  /**
   * Denying a new key at the cap must not wait for a thread that samples keys. At best the
   * sample finds a key that expired a moment ago, and threads that all retried on a busy table
   * kept each other spinning. The test sets the flag that another thread's sample sets. A
   * retry would then spin for good, and the timeout turns that hang into a failure.
   */
  @ParameterizedTest
  @ValueSource(strings = {"test", "other"})
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void tryAcquire_denyNewKeysWhileKeysAreSampled_deniesAtOnce(String sampledPolicy)
      throws ReflectiveOperationException {
    InMemoryStore store = store(2, AtCapacity.DENY_NEW_KEYS);
    PolicyBinding binding = store.bind(policy(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(10)));
    PolicyBinding other = store.bind(Policy.of("other",
        Limit.of(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(10))));
    take(binding, "a", 1);
    take(other, "b", 1);
    AtomicBoolean sampling = samplingFlag(store, sampledPolicy);
    sampling.set(true);

    Decision newKey = take(binding, "c", 1);

    sampling.set(false);
    assertThat(newKey.allowed()).isFalse();
    assertThat(newKey.limitName()).isEqualTo("max_keys");
    assertThat(store.trackedKeys()).isEqualTo(2);
  }

  /** Returns the flag that is set while a thread samples the keys of {@code policyName}. */
  private static AtomicBoolean samplingFlag(InMemoryStore store, String policyName)
      throws ReflectiveOperationException {
    Field tables = InMemoryStore.class.getDeclaredField("tables");
    tables.setAccessible(true);
    KeyTable table = ((Map<?, KeyTable>) tables.get(store)).get(policyName);
    Field sweeping = KeyTable.class.getDeclaredField("sweeping");
    sweeping.setAccessible(true);
    return (AtomicBoolean) sweeping.get(table);
  }

  @Test
  void tryAcquire_denyNewKeysAfterExpiry_admits() {
    InMemoryStore store = store(2, AtCapacity.DENY_NEW_KEYS);
    PolicyBinding binding = store.bind(policy(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(10)));
    take(binding, "a", 1);
    take(binding, "b", 1);

    // One unit of 2 per 10 s refills in 5 s.
    time.advance(Duration.ofSeconds(5));

    assertThat(take(binding, "c", 1).allowed()).isTrue();
    assertThat(store.trackedKeys()).isLessThanOrEqualTo(2);
  }

  @Test
  void tryAcquire_capReachedByAnotherPolicy_evictsToAdmitNewKey() {
    InMemoryStore store = store(2, AtCapacity.EVICT_SOONEST_RESET);
    PolicyBinding first = store.bind(Policy.of("first",
        Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofHours(1))));
    PolicyBinding second = store.bind(Policy.of("second",
        Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofHours(1))));
    take(first, "a", 1);
    take(first, "b", 1);

    Decision newKey = take(second, "c", 1);

    assertThat(newKey.allowed()).isTrue();
    assertThat(store.trackedKeys()).isEqualTo(2);
  }

  @Test
  void bind_lowerLimitForSamePolicy_keepsStateAndAppliesAtOnce() {
    InMemoryStore store = store();
    PolicyBinding before = store.bind(policy(Algorithm.FIXED_WINDOW, 100, Duration.ofSeconds(60)));
    for (int i = 0; i < 3; i++) {
      assertThat(take(before, "k", 1).allowed()).as("request %d", i + 1).isTrue();
    }

    time.setSinceStart(Duration.ofSeconds(10));
    PolicyBinding lowered = store.bind(policy(Algorithm.FIXED_WINDOW, 2, Duration.ofSeconds(60)));
    time.setSinceStart(Duration.ofSeconds(11));
    Decision afterLowering = take(lowered, "k", 1);
    time.setSinceStart(Duration.ofSeconds(20));
    PolicyBinding same = store.bind(policy(Algorithm.FIXED_WINDOW, 2, Duration.ofSeconds(60)));
    time.setSinceStart(Duration.ofSeconds(21));
    Decision afterIdenticalRebind = take(same, "k", 1);
    time.setSinceStart(Duration.ofSeconds(60));
    Decision nextWindow = take(same, "k", 1);

    // 3 used of 2; the window [0, 60 s) ends 49 s after t = 11 s.
    assertThat(afterLowering.allowed()).isFalse();
    assertThat(afterLowering.retryAfterNanos()).isEqualTo(49 * SECOND);
    assertThat(afterLowering.limit()).isEqualTo(2);
    assertThat(afterIdenticalRebind.allowed()).isFalse();
    assertThat(nextWindow.allowed()).isTrue();
    assertThat(nextWindow.remaining()).isEqualTo(1);
  }

  @Test
  void bind_beforeEveryRequest_doesNotResetState() {
    InMemoryStore store = store();

    int allowed = 0;
    for (int i = 0; i < 6; i++) {
      PolicyBinding binding = store.bind(policy(Algorithm.FIXED_WINDOW, 5, Duration.ofSeconds(60)));
      if (take(binding, "k", 1).allowed()) {
        allowed++;
      }
    }

    assertThat(allowed).isEqualTo(5);
  }

  @Test
  void bind_otherAlgorithmUnderSameName_startsKeysAfresh() {
    InMemoryStore store = store();
    PolicyBinding window = store.bind(policy(Algorithm.FIXED_WINDOW, 1, Duration.ofSeconds(60)));
    take(window, "k", 1);

    Limit bucket = Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(60)).withName("1/1m");
    PolicyBinding rebound = store.bind(Policy.of("test", bucket));

    assertThat(take(rebound, "k", 1).allowed()).isTrue();
  }

  @Test
  void bind_otherAlgorithmUnderSameName_releasesOldKeysFromCount() {
    InMemoryStore store = store(10, AtCapacity.DENY_NEW_KEYS);
    PolicyBinding window = store.bind(policy(Algorithm.FIXED_WINDOW, 1, Duration.ofSeconds(60)));
    for (int i = 0; i < 10; i++) {
      take(window, "k" + i, 1);
    }

    PolicyBinding rebound = store.bind(policy(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(60)));

    // The old state is gone, so it must not hold places under the cap.
    assertThat(store.trackedKeys()).isZero();
    assertThat(take(rebound, "new", 1).allowed()).isTrue();
  }

  @Test
  void bind_raisedBurstOfEmptyBucket_keepsBucketEmpty() {
    InMemoryStore store = store();
    PolicyBinding small = store.bind(policy(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(10)));
    take(small, "k", 2);

    Limit raised = Limit.of(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(10)).withBurst(10)
        .withName("2/10s");
    PolicyBinding big = store.bind(Policy.of("test", raised));

    // The bucket keeps its 0 units; a raised burst is not a gift of units.
    assertThat(take(big, "k", 1).retryAfterNanos()).isEqualTo(5 * SECOND);
  }

  /** Lists the bucket algorithms, whose state measures refill progress at the configured rate. */
  static Stream<Algorithm> bucketAlgorithms() {
    return Stream.of(Algorithm.TOKEN_BUCKET, Algorithm.GCRA, Algorithm.LEAKY_BUCKET);
  }

  /** Lists the algorithms whose state is the time or tokens until the next unit fits. */
  static Stream<Algorithm> refillingAlgorithms() {
    return Stream.of(Algorithm.TOKEN_BUCKET, Algorithm.GCRA);
  }

  @ParameterizedTest
  @MethodSource("refillingAlgorithms")
  void bind_lowerRateOfEmptyBucket_waitsOneNewInterval(Algorithm algorithm) {
    InMemoryStore store = store();
    PolicyBinding fast = store.bind(policy(algorithm, 1_000, Duration.ofSeconds(1)));
    take(fast, "k", 1_000);
    // 999 units have refilled by 999 ms; taking them leaves the bucket exactly empty.
    time.setSinceStartNanos(999_000_000L);
    assertThat(take(fast, "k", 999).allowed()).isTrue();

    PolicyBinding slow = store.bind(policy(algorithm, 10, Duration.ofSeconds(1)));
    Decision denied = take(slow, "k", 1);

    // Empty at 10 per second: the next unit is 100 ms away.
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.retryAfterNanos()).isEqualTo(100_000_000L);
    assertThat(denied.remaining()).isZero();
  }

  @Test
  void bind_lowerRateOfFullLeakyBucket_keepsWater() {
    InMemoryStore store = store();
    PolicyBinding fast = store.bind(policy(Algorithm.LEAKY_BUCKET, 1_000, Duration.ofSeconds(1)));
    take(fast, "k", 1_000);
    time.setSinceStartNanos(999_000_000L);
    assertThat(take(fast, "k", 999).allowed()).isTrue();

    PolicyBinding slow = store.bind(policy(Algorithm.LEAKY_BUCKET, 10, Duration.ofSeconds(1)));
    Decision denied = take(slow, "k", 1);

    // 1,000 units of water in a bucket of 10: one more unit fits once 991 have leaked at 10
    // per second, in 99.1 s, and the bucket is empty in 100 s.
    assertThat(denied.allowed()).isFalse();
    assertThat(denied.retryAfterNanos()).isEqualTo(99_100_000_000L);
    assertThat(denied.resetAfterNanos()).isEqualTo(100 * SECOND);
    assertThat(denied.remaining()).isZero();
  }

  @ParameterizedTest
  @MethodSource("bucketAlgorithms")
  void bind_lowerRateOfFullBucket_capsAtNewBurst(Algorithm algorithm) {
    InMemoryStore store = store();
    PolicyBinding fast = store.bind(policy(algorithm, 1_000, Duration.ofSeconds(1)));
    take(fast, "k", 1);

    time.advance(Duration.ofSeconds(5));
    PolicyBinding slow = store.bind(policy(algorithm, 10, Duration.ofSeconds(1)));

    assertThat(take(slow, "k", 0).remaining()).isEqualTo(10);
    assertThat(take(slow, "k", 10).allowed()).isTrue();
    assertThat(take(slow, "k", 1).retryAfterNanos()).isEqualTo(100_000_000L);
  }

  @Test
  void builder_maxKeysZero_rejected() {
    assertThatThrownBy(() -> InMemoryStore.builder().maxKeys(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxKeys must be at least 1, got 0");
  }
}
