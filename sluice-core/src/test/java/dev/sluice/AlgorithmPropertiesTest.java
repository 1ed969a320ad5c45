package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.LongRange;

/**
 * Random request sequences on a fake clock, checked against the definitions of the algorithms:
 * an exact reference model, bounds that no window may exceed, and cross-checks between
 * algorithms that must admit the same requests.
 */
class AlgorithmPropertiesTest {

  /** One request: the time since the previous one, and its cost. */
  record Step(long advanceNanos, long cost) {}

  /** The numbers of a limit; the burst is ignored by window algorithms. */
  record Numbers(long limit, long periodNanos, long burst) {
    Limit of(Algorithm algorithm) {
      Limit base = Limit.of(algorithm, limit, Duration.ofNanos(periodNanos));
      return algorithm.hasBurst() ? base.withBurst(burst) : base;
    }
  }

  /** An admitted request as seen by a limiter. */
  record Admission(long time, long cost) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Long> advance = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.just(0L)),
        Tuple.of(1, Arbitraries.longs().between(1, 3)),
        Tuple.of(6, Arbitraries.longs().between(1, 3_000_000_000L)),
        Tuple.of(1, Arbitraries.longs().between(3_000_000_000L, 60_000_000_000L)));
    Arbitrary<Long> cost = Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.just(1L)),
        Tuple.of(3, Arbitraries.longs().between(0, 9)));
    return Combinators.combine(advance, cost).as(Step::new).list().ofMaxSize(40);
  }

  @Provide
  Arbitrary<Numbers> numbers() {
    Arbitrary<Long> limit = Arbitraries.longs().between(1, 7);
    // Periods from 1 ms to 10 s, most not a whole number of units per nanosecond.
    Arbitrary<Long> period = Arbitraries.oneOf(
        Arbitraries.of(1_000_000L, 1_000_000_000L, 7_000_000_000L),
        Arbitraries.longs().between(1_000_000L, 10_000_000_000L));
    Arbitrary<Long> burst = Arbitraries.longs().between(1, 9);
    return Combinators.combine(limit, period, burst).as(Numbers::new);
  }

  @Property
  void tryAcquire_anyAlgorithm_matchesReferenceModel(
      @ForAll Algorithm algorithm, @ForAll("numbers") Numbers numbers,
      @ForAll("steps") List<Step> steps) {
    Limit limit = numbers.of(algorithm);

    new Run(limit).playAll(steps);
  }

  @Property
  void tryAcquire_shapedLeakyBucket_matchesReferenceModelWithDelay(
      @ForAll("numbers") Numbers numbers, @ForAll("steps") List<Step> steps) {
    Limit limit = numbers.of(Algorithm.LEAKY_BUCKET).withMode(Mode.SHAPE);

    new Run(limit).playAll(steps);
  }

  @Property
  void tryAcquire_shapeWithMaxDelay_admitsOnlyWithinDelay(
      @ForAll("numbers") Numbers numbers, @ForAll("steps") List<Step> steps,
      @ForAll @LongRange(min = 0, max = 20_000_000_000L) long maxDelay) {
    Limit limit = numbers.of(Algorithm.LEAKY_BUCKET).withMode(Mode.SHAPE);
    ReferenceModel model = ReferenceModel.of(limit);
    FakeTimeSource time = new FakeTimeSource();
    PolicyBinding binding = InMemoryStore.builder()
        .timeSource(time).build().bind(Policy.of("p", limit));

    for (Step step : steps) {
      time.advanceNanos(step.advanceNanos());
      Decision decision = requestShaped(binding, time, model, step.cost(), maxDelay);
      if (decision.allowed() || decision.costExceedsLimit()) {
        continue;
      }
      long retryAfter = decision.retryAfterNanos();
      assertThat(retryAfter).isPositive();
      time.advanceNanos(retryAfter - 1);
      if (retryAfter > 1) {
        assertThat(requestShaped(binding, time, model, step.cost(), maxDelay).allowed()).isFalse();
      }
      time.advanceNanos(1);
      assertThat(requestShaped(binding, time, model, step.cost(), maxDelay).allowed()).isTrue();
    }
  }

  private static Decision requestShaped(PolicyBinding binding,
      FakeTimeSource time, ReferenceModel model, long cost, long maxDelay) {
    long now = time.nanos();
    long delay = model.shapingDelay(now);
    boolean expected = model.admits(now, cost) && delay <= maxDelay;
    Decision decision = binding.tryAcquire("k", cost, maxDelay);

    assertThat(decision.allowed()).as("allowed at %d", now).isEqualTo(expected);
    if (expected) {
      assertThat(decision.delayNanos()).as("delay at %d", now).isEqualTo(delay);
      if (cost > 0) {
        model.take(now, cost);
      }
    }
    return decision;
  }

  @Property
  void tryAcquire_slidingLog_neverMoreThanLimitInAnyPeriod(
      @ForAll("numbers") Numbers numbers, @ForAll("steps") List<Step> steps) {
    Limit limit = numbers.of(Algorithm.SLIDING_LOG);

    List<Admission> admissions = new Run(limit).playAll(steps);

    for (Admission last : admissions) {
      long inWindow = admissions.stream()
          .filter(a -> a.time() > last.time() - limit.periodNanos() && a.time() <= last.time())
          .mapToLong(Admission::cost)
          .sum();
      assertThat(inWindow).as("units in the period ending at %d", last.time())
          .isLessThanOrEqualTo(limit.limit());
    }
  }

  @Property
  void tryAcquire_fixedWindow_neverMoreThanLimitPerAlignedWindow(
      @ForAll("numbers") Numbers numbers, @ForAll("steps") List<Step> steps) {
    Limit limit = numbers.of(Algorithm.FIXED_WINDOW);

    List<Admission> admissions = new Run(limit).playAll(steps);

    for (Admission any : admissions) {
      long window = Math.floorDiv(any.time(), limit.periodNanos());
      long inWindow = admissions.stream()
          .filter(a -> Math.floorDiv(a.time(), limit.periodNanos()) == window)
          .mapToLong(Admission::cost)
          .sum();
      assertThat(inWindow).as("units in window %d", window).isLessThanOrEqualTo(limit.limit());
    }
  }

  @Property
  void tryAcquire_buckets_neverMoreThanBurstPlusRateInAnyInterval(
      @ForAll("bucketAlgorithms") Algorithm algorithm, @ForAll("numbers") Numbers numbers,
      @ForAll("steps") List<Step> steps) {
    Limit limit = numbers.of(algorithm);

    List<Admission> admissions = new Run(limit).playAll(steps);

    for (int i = 0; i < admissions.size(); i++) {
      long units = 0;
      for (int j = i; j < admissions.size(); j++) {
        units += admissions.get(j).cost();
        long span = admissions.get(j).time() - admissions.get(i).time();
        // burst + floor(limit · span / period), in exact integers.
        long bound = limit.burst()
            + BigInteger.valueOf(limit.limit())
                .multiply(BigInteger.valueOf(span))
                .divide(BigInteger.valueOf(limit.periodNanos())).longValueExact();
        assertThat(units).as("units admitted in [%d, %d]", i, j).isLessThanOrEqualTo(bound);
      }
    }
  }

  @Provide
  Arbitrary<Algorithm> bucketAlgorithms() {
    return Arbitraries.of(Algorithm.TOKEN_BUCKET, Algorithm.LEAKY_BUCKET, Algorithm.GCRA);
  }

  @Property
  void tryAcquire_gcraAndTokenBucket_decideAlike(
      @ForAll("numbers") Numbers numbers, @ForAll("steps") List<Step> steps) {
    List<Decision> gcra = new Run(numbers.of(Algorithm.GCRA)).decisions(steps);
    List<Decision> bucket = new Run(numbers.of(Algorithm.TOKEN_BUCKET)).decisions(steps);

    assertThat(gcra).hasSameSizeAs(bucket);
    for (int i = 0; i < gcra.size(); i++) {
      assertThat(gcra.get(i)).as("decision %d", i).isEqualTo(bucket.get(i));
    }
  }

  @Property
  void tryAcquire_leakyPoliceAndShape_differOnlyInDelay(
      @ForAll("numbers") Numbers numbers, @ForAll("steps") List<Step> steps) {
    Limit police = numbers.of(Algorithm.LEAKY_BUCKET);
    List<Decision> policed = new Run(police).decisions(steps);
    List<Decision> shaped = new Run(police.withMode(Mode.SHAPE)).decisions(steps);

    for (int i = 0; i < policed.size(); i++) {
      Decision p = policed.get(i);
      Decision s = shaped.get(i);
      assertThat(p.delayNanos()).as("police delay %d", i).isZero();
      assertThat(s.allowed()).as("allowed %d", i).isEqualTo(p.allowed());
      assertThat(s.remaining()).as("remaining %d", i).isEqualTo(p.remaining());
      assertThat(s.retryAfterNanos()).as("retry after %d", i).isEqualTo(p.retryAfterNanos());
      assertThat(s.resetAfterNanos()).as("reset after %d", i).isEqualTo(p.resetAfterNanos());
    }
  }

  @Property
  void tryAcquire_deniedRequests_changeNoLaterDecision(
      @ForAll Algorithm algorithm, @ForAll("numbers") Numbers numbers,
      @ForAll("steps") List<Step> steps) {
    Limit limit = numbers.of(algorithm);
    FakeTimeSource time = new FakeTimeSource();
    RateLimiter quiet = limiter(limit, time);
    RateLimiter noisy = limiter(limit, time);

    for (Step step : steps) {
      time.advanceNanos(step.advanceNanos());
      // One more unit than remains must be denied, and must leave no trace.
      long tooMuch = noisy.tryAcquire("k", 0).remaining() + 1;
      assertThat(noisy.tryAcquire("k", tooMuch).allowed()).as("cost %d", tooMuch).isFalse();
      noisy.tryAcquire("k", Long.MAX_VALUE);
      assertThat(noisy.tryAcquire("k", step.cost()))
          .isEqualTo(quiet.tryAcquire("k", step.cost()));
    }
  }

  @Property
  void tryAcquire_afterResetAfter_keyIsForgotten(
      @ForAll Algorithm algorithm, @ForAll("numbers") Numbers numbers,
      @ForAll("steps") List<Step> steps) {
    Limit limit = numbers.of(algorithm);
    FakeTimeSource time = new FakeTimeSource();
    InMemoryStore store =
        InMemoryStore.builder().timeSource(time).build();
    RateLimiter limiter = RateLimiter.builder(Policy.of("p", limit)).timeSource(time)
        .store(store).build();
    Decision fresh = limiter.tryAcquire("k", 0);
    for (Step step : steps) {
      time.advanceNanos(step.advanceNanos());
      limiter.tryAcquire("k", step.cost());
    }

    time.advanceNanos(limiter.tryAcquire("k", 0).resetAfterNanos());
    store.cleanUp();

    assertThat(store.trackedKeys()).isZero();
    assertThat(limiter.tryAcquire("k", 0)).isEqualTo(fresh);
  }

  @Property
  void tryAcquire_identicalRebindBeforeEachRequest_changesNothing(
      @ForAll Algorithm algorithm, @ForAll("numbers") Numbers numbers,
      @ForAll("steps") List<Step> steps) {
    FakeTimeSource time = new FakeTimeSource();
    RateLimiter steady = limiter(numbers.of(algorithm), time);
    InMemoryStore store =
        InMemoryStore.builder().timeSource(time).build();

    for (Step step : steps) {
      time.advanceNanos(step.advanceNanos());
      // A new but equal policy, as a config reload builds it.
      PolicyBinding rebound = store.bind(Policy.of("p", numbers.of(algorithm)));
      assertThat(rebound.tryAcquire("k", step.cost(), Long.MAX_VALUE))
          .isEqualTo(steady.tryAcquire("k", step.cost()));
    }
  }

  @Property
  void tryAcquire_twoLimits_admitOnlyWhenBothModelsAdmit(
      @ForAll Algorithm first, @ForAll Algorithm second,
      @ForAll("numbers") Numbers firstNumbers, @ForAll("numbers") Numbers secondNumbers,
      @ForAll("steps") List<Step> steps) {
    Limit a = firstNumbers.of(first).withName("a");
    Limit b = secondNumbers.of(second).withName("b");
    ReferenceModel modelA = ReferenceModel.of(a);
    ReferenceModel modelB = ReferenceModel.of(b);
    FakeTimeSource time = new FakeTimeSource();
    RateLimiter limiter = RateLimiter.builder(Policy.of("p", a, b)).timeSource(time).build();

    for (Step step : steps) {
      time.advanceNanos(step.advanceNanos());
      Decision decision = requestBoth(limiter, time, modelA, modelB, step.cost());
      if (decision.allowed() || decision.costExceedsLimit()) {
        continue;
      }
      // Waiting for the slower limit admits, 1 ns less does not.
      long retryAfter = decision.retryAfterNanos();
      assertThat(retryAfter).isPositive();
      time.advanceNanos(retryAfter - 1);
      if (retryAfter > 1) {
        assertThat(requestBoth(limiter, time, modelA, modelB, step.cost()).allowed()).isFalse();
      }
      time.advanceNanos(1);
      assertThat(requestBoth(limiter, time, modelA, modelB, step.cost()).allowed()).isTrue();
    }
  }

  private static Decision requestBoth(RateLimiter limiter, FakeTimeSource time,
      ReferenceModel modelA, ReferenceModel modelB, long cost) {
    long now = time.nanos();
    boolean expected = modelA.admits(now, cost) && modelB.admits(now, cost);
    Decision decision = limiter.tryAcquire("k", cost);

    assertThat(decision.allowed()).as("allowed at %d", now).isEqualTo(expected);
    if (expected && cost > 0) {
      modelA.take(now, cost);
      modelB.take(now, cost);
    }
    long remaining = Math.min(modelA.remaining(now), modelB.remaining(now));
    assertThat(decision.remaining()).as("remaining at %d", now).isEqualTo(remaining);
    long resetAfter = Math.max(modelA.resetAfter(now), modelB.resetAfter(now));
    assertThat(decision.resetAfterNanos()).as("reset after at %d", now).isEqualTo(resetAfter);
    boolean never = cost > modelA.capacity() || cost > modelB.capacity();
    assertThat(decision.costExceedsLimit()).as("never at %d", now).isEqualTo(never);
    return decision;
  }

  private static RateLimiter limiter(Limit limit, FakeTimeSource time) {
    return RateLimiter.builder(Policy.of("p", limit)).timeSource(time).build();
  }

  /**
   * Plays requests on a limiter and a reference model side by side. After every denial with a
   * finite retry after, it also requests the same cost 1 ns before that wait ends (denied) and
   * when it ends (admitted). Because a denial changes nothing, these probes alter no later
   * decision except by the admission they expect.
   */
  private static final class Run {
    private final Limit limit;
    private final FakeTimeSource time = new FakeTimeSource();
    private final RateLimiter limiter;
    private final ReferenceModel model;
    private final List<Admission> admissions = new ArrayList<>();
    private final List<Decision> decisions = new ArrayList<>();

    Run(Limit limit) {
      this.limit = limit;
      this.limiter = limiter(limit, time);
      this.model = ReferenceModel.of(limit);
    }

    List<Admission> playAll(List<Step> steps) {
      for (Step step : steps) {
        time.advanceNanos(step.advanceNanos());
        Decision decision = request(step.cost());
        if (!decision.allowed() && !decision.costExceedsLimit()) {
          probeRetryAfter(step.cost(), decision.retryAfterNanos());
        }
      }
      return admissions;
    }

    /** Plays the steps and returns every decision, without probes. */
    List<Decision> decisions(List<Step> steps) {
      for (Step step : steps) {
        time.advanceNanos(step.advanceNanos());
        decisions.add(limiter.tryAcquire("k", step.cost()));
      }
      return decisions;
    }

    private void probeRetryAfter(long cost, long retryAfter) {
      assertThat(retryAfter).as("retry after of a denial").isPositive();
      if (retryAfter > 1) {
        time.advanceNanos(retryAfter - 1);
        assertThat(request(cost).allowed()).as("1 ns before retry after").isFalse();
        time.advanceNanos(1);
      } else {
        time.advanceNanos(retryAfter);
      }
      assertThat(request(cost).allowed()).as("at retry after %d", retryAfter).isTrue();
    }

    private Decision request(long cost) {
      long now = time.nanos();
      boolean expected = model.admits(now, cost);
      long delay = model.shapingDelay(now);
      Decision decision = limiter.tryAcquire("k", cost);
      String where = limit + " at +" + time.sinceStartNanos() + " ns, cost " + cost;

      assertThat(decision.allowed()).as("allowed, %s", where).isEqualTo(expected);
      if (expected && cost > 0) {
        model.take(now, cost);
        admissions.add(new Admission(now, cost));
      }
      assertThat(decision.remaining()).as("remaining, %s", where).isEqualTo(model.remaining(now));
      assertThat(decision.resetAfterNanos()).as("reset after, %s", where)
          .isEqualTo(model.resetAfter(now));
      assertThat(decision.limit()).isEqualTo(limit.limit());
      if (cost > model.capacity()) {
        assertThat(decision.retryAfterNanos()).as("retry after, %s", where)
            .isEqualTo(Decision.NEVER);
      }
      if (expected && limit.mode() == Mode.SHAPE) {
        assertThat(decision.delayNanos()).as("delay, %s", where).isEqualTo(delay);
      }
      return decision;
    }
  }
}
