package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Checks the fast path at the top of the decision script, with values just below and just
 * above each of its thresholds. The fast path decides a one-limit token bucket, leaky bucket,
 * fixed window, sliding window or GCRA with plain Lua numbers. Its thresholds: cost, limit,
 * period, burst and the stored counts below 2^51. A stored time must be less than 2,251,799
 * whole seconds from the request, and each product below 2^53 (below 2^51 where a sum
 * follows). A fixed or sliding window also needs a period of whole seconds or one that
 * divides a second.
 *
 * <p>Three scripts are compared: the script as the store loads it, the same without its fast
 * path (the general path alone), and the fast path alone followed by {@code return 'general
 * path'}, which shows which path a request takes. The first two record the expiry they set.
 */
class ScriptFastPathTest {

  private static final String GENERAL_MARKER = "-- The general path.";
  private static final String FELL_THROUGH = "general path";
  private static final String FAST_PATH_MARKER = "\ndo\n";
  private static final long SMALL = 1L << 51;
  private static final long EXACT = 1L << 53;
  private static final long SECOND = 1_000_000_000L;
  // The largest whole-second distance of a stored time from the request on the fast path.
  private static final long MAX_GAP_SECONDS = 2_251_798;
  private static final long NOW = 1_764_870_000_123_456_789L;
  /** How far a stored time may lie ahead of the request beyond a period: 5 minutes. */
  private static final long CLOCK_SKEW = 300 * SECOND;
  private static final long NO_MAX = Long.MAX_VALUE;
  private static final int REQUESTS = 80;
  private static final int RANDOM_REQUESTS = 400;

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();
  private static String fullSha;
  private static String generalSha;
  private static String fastOnlySha;
  private static int keys;

  @BeforeAll
  static void loadScripts() {
    String script = DecisionScript.assemble();
    int general = script.indexOf(GENERAL_MARKER);
    assertThat(general).as("position of '%s' in the script", GENERAL_MARKER).isPositive();
    RedisCommands<String, String> commands = REDIS.commands();
    fullSha = commands.scriptLoad(recordingExpiry(script));
    // The general path alone keeps the declarations before the fast path's block, which
    // the general path reads.
    int fastPath = script.indexOf(FAST_PATH_MARKER);
    assertThat(fastPath).as("position of the fast path's block").isPositive();
    generalSha = commands.scriptLoad(recordingExpiry(
        script.substring(0, fastPath) + "\n" + script.substring(general)));
    fastOnlySha = commands.scriptLoad(
        script.substring(0, general) + "\nreturn '" + FELL_THROUGH + "'\n");
  }

  /**
   * Wraps a script so that its reply ends with the last PEXPIRE argument as a string, or
   * 'none', whether the script passed a number or a string. The expiry is recorded, not set:
   * the test's clock does not move with Redis's, and a state that expired in real time could
   * not be compared.
   */
  private static String recordingExpiry(String script) {
    return "local real_redis = redis\n"
        + "local expiry = 'none'\n"
        + "local redis = {replicate_commands = real_redis.replicate_commands,\n"
        + "  call = function(command, ...)\n"
        + "    if command == 'PEXPIRE' then\n"
        + "      expiry = tostring(select(2, ...))\n"
        + "      return 1\n"
        + "    end\n"
        + "    return real_redis.call(command, ...)\n"
        + "  end}\n"
        + "local function decide()\n" + script + "\nend\n"
        + "local reply = decide()\n"
        + "reply[#reply + 1] = expiry\n"
        + "return reply\n";
  }

  /** One request: the script's arguments and the state stored before it, if any. */
  private record Request(long now, long cost, long maxDelay, String algorithm, long limit,
      long period, long burst, boolean shape, String ref, String tokens, String current) {

    static Request bucket(long limit, long period, long burst) {
      return new Request(NOW, 1, NO_MAX, "token_bucket", limit, period, burst, false, null,
          null, null);
    }

    static Request gcra(long limit, long period, long burst) {
      return new Request(NOW, 1, NO_MAX, "gcra", limit, period, burst, false, null, null, null);
    }

    static Request sliding(long limit, long period) {
      return new Request(NOW, 1, NO_MAX, "sliding_window", limit, period, limit, false, null,
          null, null);
    }

    static Request window(long limit, long period) {
      return new Request(NOW, 1, NO_MAX, "fixed_window", limit, period, limit, false, null,
          null, null);
    }

    Request cost(long value) {
      return new Request(now, value, maxDelay, algorithm, limit, period, burst, shape, ref,
          tokens, current);
    }

    Request state(long refNanos, long tokenCount) {
      return state(refNanos, tokenCount, 0);
    }

    /** Returns the request with a stored state; {@code currentCount} is the sliding window's. */
    Request state(long refNanos, long tokenCount, long currentCount) {
      return new Request(now, cost, maxDelay, algorithm, limit, period, burst, shape,
          Long.toString(refNanos), Long.toString(tokenCount), Long.toString(currentCount));
    }

    String[] args() {
      return new String[] {Long.toString(now), Long.toString(cost), Long.toString(maxDelay),
          "1", algorithm, Long.toString(limit), Long.toString(period), Long.toString(burst),
          shape ? "1" : "0"};
    }
  }

  private static Object run(String sha, String key, Request request) {
    RedisCommands<String, String> commands = REDIS.commands();
    commands.del(key);
    if (request.ref() != null) {
      String[] fields = switch (request.algorithm()) {
        case "fixed_window" -> new String[] {"window_start", "used"};
        case "sliding_window" -> new String[] {"window_start", "previous"};
        case "gcra" -> new String[] {"whole", "remainder"};
        default -> new String[] {"ref", "tokens"};
      };
      commands.hset(key, Map.of(fields[0], request.ref(), fields[1], request.tokens()));
      if (request.algorithm().equals("sliding_window")) {
        commands.hset(key, "current", request.current());
      }
    }
    return commands.evalsha(sha, ScriptOutputType.MULTI, new String[] {key}, request.args());
  }

  // Pairs: the first of each takes the fast path, the second, one step over a threshold, not.
  private static List<Request[]> thresholdPairs() {
    Request base = Request.bucket(1_000, SECOND, 1_000);
    Request wide = Request.bucket(SMALL - 1, 1, SMALL - 1);
    // 2^23 units per 2^30 ns: with 0 tokens, (burst - tokens) * period reaches 2^53 exactly
    // at burst 2^23, and an elapsed time of 2^30 ns gives elapsed * limit = 2^53.
    long unit = 1L << 30;
    return List.of(
        new Request[] {base.cost(0), base.cost(-1)},
        new Request[] {wide.cost(SMALL - 1), wide.cost(SMALL)},
        new Request[] {Request.bucket(SMALL - 1, SECOND, 1),
            Request.bucket(SMALL, SECOND, 1)},
        new Request[] {Request.bucket(1, SMALL - 1, 1), Request.bucket(1, SMALL, 1)},
        new Request[] {Request.bucket(1_000, SECOND, SMALL - 1),
            Request.bucket(1_000, SECOND, SMALL)},
        new Request[] {base.state(NOW, SMALL - 1), base.state(NOW, SMALL)},
        new Request[] {Request.bucket(1, 1, 1).state(NOW, 1 - SMALL),
            Request.bucket(1, 1, 1).state(NOW, -SMALL)},
        new Request[] {base.state(NOW - MAX_GAP_SECONDS * SECOND, 0),
            base.state(NOW - (MAX_GAP_SECONDS + 1) * SECOND, 0)},
        // A stored time ahead of the request by more than a period and 5 minutes is rejected,
        // so only a period of about 26 days reaches the largest gap ahead.
        new Request[] {Request.bucket(1, SMALL - 1, 1).state(NOW + MAX_GAP_SECONDS * SECOND, 0),
            Request.bucket(1, SMALL - 1, 1).state(NOW + (MAX_GAP_SECONDS + 1) * SECOND, 0)},
        new Request[] {Request.bucket(1L << 23, unit, (1L << 23) - 1).state(NOW - unit, 0),
            Request.bucket(1L << 23, unit, 1L << 23).state(NOW - unit, 0)},
        new Request[] {Request.bucket(1, unit, (1L << 23) - 1).state(NOW, 0),
            Request.bucket(1, unit, 1L << 23).state(NOW, 0)},
        // A fixed window takes the fast path only for a period of whole seconds or a divisor
        // of a second: 1.5 s is neither, and 2,251,800 s is above 2^51 ns.
        new Request[] {Request.window(1_000, SECOND), Request.window(1_000, 1_500_000_000L)},
        new Request[] {Request.window(1_000, SECOND / 4),
            Request.window(1_000, SECOND / 4 + 1)},
        new Request[] {Request.window(1, 2_251_799 * SECOND),
            Request.window(1, 2_251_800 * SECOND)},
        new Request[] {Request.window(SMALL - 1, SECOND), Request.window(SMALL, SECOND)},
        new Request[] {Request.window(1_000, SECOND).state(NOW, SMALL - 1),
            Request.window(1_000, SECOND).state(NOW, SMALL)},
        new Request[] {Request.window(1_000, SECOND).state(NOW - MAX_GAP_SECONDS * SECOND, 1),
            Request.window(1_000, SECOND).state(NOW - (MAX_GAP_SECONDS + 1) * SECOND, 1)},
        // GCRA: burst * period, and the time ahead of the request times the limit, below 2^51.
        new Request[] {Request.gcra(1_000, 1L << 21, (1L << 30) - 1),
            Request.gcra(1_000, 1L << 21, 1L << 30)},
        new Request[] {Request.gcra(1L << 20, 1L << 20, 1L << 20).state(NOW + (1L << 31) - 1, 0),
            Request.gcra(1L << 20, 1L << 20, 1L << 20).state(NOW + (1L << 31), 0)},
        new Request[] {Request.gcra(1_000, SECOND, 1_000).state(NOW, SMALL - 1),
            Request.gcra(1_000, SECOND, 1_000).state(NOW, SMALL)},
        // Sliding window: NOW is 123,456,789 ns into its second, so a count of the previous
        // window has the weight 876,543,211 ns, and 10,275,818 is the largest count whose
        // weighted product stays below 2^53.
        new Request[] {Request.sliding(1_000, SECOND),
            Request.sliding(1_000, 1_500_000_000L)},
        new Request[] {Request.sliding(1_000, SECOND).state(NOW - MAX_GAP_SECONDS * SECOND, 5, 5),
            Request.sliding(1_000, SECOND).state(NOW - (MAX_GAP_SECONDS + 1) * SECOND, 5, 5)},
        new Request[] {Request.sliding(1_000, SECOND).state(NOW - 123_456_789 - SECOND, 0,
            10_275_818), Request.sliding(1_000, SECOND).state(NOW - 123_456_789 - SECOND, 0,
            10_275_819)});
  }

  @Test
  void fastPath_valuesBelowThresholds_decides() {
    for (Request[] pair : thresholdPairs()) {
      assertThat(run(fastOnlySha, "below", pair[0])).as("%s", pair[0])
          .asInstanceOf(InstanceOfAssertFactories.LIST).hasSize(6);
    }
  }

  @Test
  void fastPath_valuesOverThresholds_fallsThrough() {
    for (Request[] pair : thresholdPairs()) {
      assertThat(run(fastOnlySha, "over", pair[1])).as("%s", pair[1])
          .isEqualTo(List.of(FELL_THROUGH));
    }
  }

  @Test
  void decide_thresholdPairs_matchesGeneralPath() {
    for (Request[] pair : thresholdPairs()) {
      for (Request request : pair) {
        if (request.cost() >= 0) {
          assertSameAsGeneralPath(request);
        }
      }
    }
  }

  @Test
  void decide_randomRequestsNearThresholds_matchesGeneralPath() {
    Random random = new Random(20261204L);
    int fast = 0;
    for (int i = 0; i < RANDOM_REQUESTS; i++) {
      Request request = randomRequest(random);
      assertSameAsGeneralPath(request);
      if (!run(fastOnlySha, "probe", request).equals(List.of(FELL_THROUGH))) {
        fast++;
      }
    }
    // Both paths must be exercised for the comparison to mean anything.
    assertThat(fast).as("requests on the fast path of " + RANDOM_REQUESTS)
        .isBetween(RANDOM_REQUESTS / 5, RANDOM_REQUESTS * 4 / 5);
  }

  private static void assertSameAsGeneralPath(Request request) {
    Object expected = run(generalSha, "general", request);
    Map<String, String> expectedState = REDIS.commands().hgetall("general");
    assertThat(run(fullSha, "full", request)).as("reply and expiry for %s", request)
        .isEqualTo(expected);
    assertThat(REDIS.commands().hgetall("full")).as("state after %s", request)
        .isEqualTo(expectedState);
  }

  private static Request randomRequest(Random random) {
    long limit = near(random, SMALL, 1_000_000);
    long period = near(random, SMALL, SECOND);
    long burst = near(random, SMALL, limit);
    boolean shape = random.nextBoolean();
    long cost = random.nextInt(4) == 0 ? near(random, SMALL, burst) : random.nextInt(3);
    long maxDelay = random.nextBoolean() ? NO_MAX : random.nextLong(2 * EXACT);
    Request request = new Request(NOW + random.nextLong(SECOND), cost, maxDelay,
        shape ? "leaky_bucket" : "token_bucket", limit, period, burst, shape, null, null, null);
    if (random.nextInt(4) == 0) {
      request = new Request(request.now(), cost, maxDelay, "gcra", limit, period, burst, false,
          null, null, null);
    } else if (random.nextInt(3) == 0) {
      long[] periods = {SECOND, SECOND / 4, 1_500_000_000L, period};
      request = new Request(request.now(), cost, maxDelay, "sliding_window", limit,
          periods[random.nextInt(periods.length)], limit, false, null, null, null);
    } else if (random.nextInt(3) == 0) {
      long[] periods = {SECOND, SECOND / 4, 7 * SECOND, 1_500_000_000L, period,
          2_251_799 * SECOND, 2_251_800 * SECOND};
      request = new Request(request.now(), cost, maxDelay, "fixed_window", limit,
          periods[random.nextInt(periods.length)], limit, false, null, null, null);
    }
    if (random.nextInt(5) == 0) {
      return request;
    }
    long gapSeconds = near(random, MAX_GAP_SECONDS + 1, 3);
    long gap = random.nextBoolean() ? random.nextLong(3 * period) : gapSeconds * SECOND;
    // Ahead of the request, a bucket or window contains no time beyond a period and 5 minutes.
    long maxAhead = request.algorithm().equals("gcra") ? gap : request.period() + CLOCK_SKEW;
    long ref = random.nextInt(4) == 0
        ? request.now() + Math.min(gap, maxAhead) : request.now() - gap;
    return request.state(ref, random.nextBoolean() ? near(random, SMALL, burst)
        : random.nextLong(burst + 1), random.nextLong(burst + 1));
  }

  /**
   * A positive value: one in three at most two from the edge, else a random one up to
   * {@code typical}.
   */
  private static long near(Random random, long edge, long typical) {
    return random.nextInt(3) == 0 ? edge - 2 + random.nextInt(4)
        : 1 + random.nextLong(Math.max(1, typical));
  }

  @Test
  void tryAcquire_bucketsNearThresholds_matchesInMemory() {
    long unit = 1L << 30;
    List<Limit> limits = new ArrayList<>();
    for (long edge : new long[] {SMALL - 1, SMALL}) {
      limits.add(Limit.of(Algorithm.TOKEN_BUCKET, edge, Duration.ofSeconds(1)));
      limits.add(Limit.of(Algorithm.LEAKY_BUCKET, 3, Duration.ofNanos(edge))
          .withMode(Mode.SHAPE));
      limits.add(Limit.of(Algorithm.TOKEN_BUCKET, 2, Duration.ofNanos(edge)).withBurst(5));
    }
    for (long seconds : new long[] {1, 2_251_799, 2_251_800}) {
      limits.add(Limit.of(Algorithm.FIXED_WINDOW, 3, Duration.ofSeconds(seconds)));
    }
    limits.add(Limit.of(Algorithm.FIXED_WINDOW, SMALL - 1, Duration.ofMillis(250)));
    limits.add(Limit.of(Algorithm.FIXED_WINDOW, SMALL, Duration.ofMillis(1_500)));
    for (long edge : new long[] {SMALL - 1, SMALL}) {
      limits.add(Limit.of(Algorithm.GCRA, edge, Duration.ofSeconds(1)).withBurst(1_000));
    }
    limits.add(Limit.of(Algorithm.GCRA, 3, Duration.ofSeconds(7)));
    limits.add(Limit.of(Algorithm.SLIDING_WINDOW, 3, Duration.ofSeconds(1)));
    limits.add(Limit.of(Algorithm.SLIDING_WINDOW, 10, Duration.ofMillis(250)));
    limits.add(Limit.of(Algorithm.SLIDING_WINDOW, 10, Duration.ofMillis(1_500)));
    limits.add(Limit.of(Algorithm.SLIDING_WINDOW, 10_275_818, Duration.ofSeconds(1)));
    for (long burst : new long[] {(1L << 31) - 1, 1L << 31}) {
      limits.add(Limit.of(Algorithm.GCRA, 1L << 20, Duration.ofNanos(1L << 20))
          .withBurst(burst));
    }
    for (long burst : new long[] {(1L << 23) - 1, 1L << 23}) {
      limits.add(Limit.of(Algorithm.TOKEN_BUCKET, 1L << 23, Duration.ofNanos(unit))
          .withBurst(burst));
    }
    for (Limit limit : limits) {
      assertMatchesInMemory(limit);
    }
  }

  @Test
  void fastPath_twoLimits_decides() {
    String[] args = {Long.toString(NOW), "1", Long.toString(NO_MAX), "1",
        "token_bucket", "10", Long.toString(SECOND), "10", "0",
        "gcra", "1000", Long.toString(3_600 * SECOND), "3", "0"};
    // The first limit has 9 of 10 tokens left and refills one in 0.1 s. The second has 2 of a
    // burst of 3 left and is back to its initial state in 3.6 s, so it decides.
    assertThat(REDIS.commands().<List<Object>>evalsha(fastOnlySha, ScriptOutputType.MULTI,
        new String[] {"two:a", "two:b"}, args))
        .isEqualTo(List.of(1L, 2L, 3_600 * SECOND / 1_000, 0L, 0L, 1L));
  }

  @Test
  void fastPath_withSlidingLogLimit_fallsThrough() {
    String[] args = {Long.toString(NOW), "1", Long.toString(NO_MAX), "1",
        "token_bucket", "10", Long.toString(SECOND), "10", "0",
        "sliding_log", "10", Long.toString(SECOND), "10", "0"};
    assertThat(REDIS.commands().<List<Object>>evalsha(fastOnlySha, ScriptOutputType.MULTI,
        new String[] {"log:a", "log:b"}, args)).isEqualTo(List.of(FELL_THROUGH));
  }

  /**
   * Policies of several limits, decided by the script's fast path where every limit allows it
   * and by the general path where one does not, against the in-memory store.
   */
  @Test
  void tryAcquire_severalLimits_matchesInMemory() {
    List<Policy> policies = List.of(
        Policy.of("pair", Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofSeconds(1)),
            Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofSeconds(7))),
        Policy.of("mixed", Limit.of(Algorithm.FIXED_WINDOW, 4, Duration.ofSeconds(1)),
            Limit.of(Algorithm.GCRA, 2, Duration.ofMillis(300)).withBurst(3),
            Limit.of(Algorithm.SLIDING_WINDOW, 6, Duration.ofSeconds(2))),
        Policy.of("shaped", Limit.of(Algorithm.LEAKY_BUCKET, 2, Duration.ofSeconds(1))
                .withBurst(4).withMode(Mode.SHAPE),
            Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofMinutes(1))),
        Policy.of("edge", Limit.of(Algorithm.TOKEN_BUCKET, SMALL - 1, Duration.ofSeconds(1)),
            Limit.of(Algorithm.TOKEN_BUCKET, SMALL, Duration.ofSeconds(1))),
        Policy.of("library", Limit.of(Algorithm.TOKEN_BUCKET, 3, Duration.ofSeconds(1)),
            Limit.of(Algorithm.SLIDING_LOG, 4, Duration.ofSeconds(2))));
    for (Policy policy : policies) {
      assertMatchesInMemory(policy, policy.limits().get(0));
    }
  }

  private static void assertMatchesInMemory(Limit limit) {
    assertMatchesInMemory(Policy.of("fast", limit), limit);
  }

  /** Compares decisions, stepping the clock at the scale of {@code pace}'s period. */
  private static void assertMatchesInMemory(Policy policy, Limit pace) {
    Limit limit = pace;
    FakeClock time = new FakeClock(NOW);
    // A generous timeout, so that a busy machine never turns a decision into a fallback.
    try (RedisStore store = RedisStore.builder().uri(REDIS.uri())
        .commandTimeout(Duration.ofSeconds(30))
        .keyPrefix("fast" + keys++).timeMode(TimeMode.CLIENT).timeSource(time)
        .withoutExpiry().build()) {
      PolicyBinding tested = store.bind(policy);
      PolicyBinding reference = InMemoryStore.builder().timeSource(time).build().bind(policy);
      Random random = new Random(limit.limit() ^ limit.periodNanos() ^ limit.burst());
      for (int i = 0; i < REQUESTS; i++) {
        step(random, time, limit);
        long cost = random.nextInt(5) == 0 ? limit.burst() - 1 + random.nextInt(3)
            : random.nextInt(3);
        long maxDelay = random.nextBoolean() ? NO_MAX : random.nextLong(limit.periodNanos());
        Decision expected = reference.tryAcquire("user", cost, maxDelay);
        assertThat(tested.tryAcquire("user", cost, maxDelay))
            .as("%s at %d, request %d of cost %d", policy, time.nanos(), i, cost)
            .isEqualTo(expected);
      }
    }
  }

  // Mostly short steps, sometimes one just under or over the fast path's largest gap, and
  // sometimes back, as a request that read the time before a request decided first.
  private static void step(Random random, FakeClock time, Limit limit) {
    switch (random.nextInt(6)) {
      case 0 -> time.advance((MAX_GAP_SECONDS + random.nextInt(2)) * SECOND);
      case 1 -> time.rewind(random.nextLong(SECOND));
      case 2 -> time.advance(random.nextLong(limit.periodNanos()));
      default -> time.advance(random.nextInt(1_000));
    }
  }
}
