package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandType;
import io.netty.util.HashedWheelTimer;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests of one key that arrive while a call for that key is in flight go to Redis together,
 * in a few calls, and get the decisions they would get one by one.
 */
class BatchedDecisionsTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long NOW = 1_764_870_000_123_456_789L;
  private static final long NO_MAX = Long.MAX_VALUE;
  private static final Policy DAILY =
      Policy.of("daily", Limit.of(Algorithm.TOKEN_BUCKET, 300, Duration.ofDays(1)));

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();
  private static String sha;

  private final List<AsyncCommand<String, String, List<Object>>> calls = new ArrayList<>();
  private final List<String[]> callArgs = new ArrayList<>();
  /** Whether EVALSHA fails at once, as Lettuce rejects commands while disconnected. */
  private boolean rejectCalls;
  private final HashedWheelTimer timer = new HashedWheelTimer(10, TimeUnit.MILLISECONDS);
  private final List<RedisStore> stores = new ArrayList<>();

  @BeforeAll
  static void loadScript() {
    sha = REDIS.commands().scriptLoad(DecisionScript.assemble());
  }

  @AfterEach
  void stop() {
    timer.stop();
    stores.forEach(RedisStore::close);
  }

  // The script, called with a batch and with the same requests one by one.

  /**
   * Compares without expiries: Redis expires keys on its own clock, and the requests here are
   * on a client clock that runs faster, so a key could expire between two calls of one step.
   */
  @Test
  void script_batches_matchOneByOne() {
    Random random = new Random(42);
    List<String[]> policies = List.of(
        limits("token_bucket", 5, SECOND, 5, false),
        limits("leaky_bucket", 5, SECOND, 3, true),
        limits("leaky_bucket", 4, SECOND, 4, false),
        limits("fixed_window", 4, SECOND, 4, false),
        limits("sliding_window", 6, SECOND, 6, false),
        limits("gcra", 3, SECOND, 2, false),
        limits("sliding_log", 4, SECOND, 4, false),
        // Numbers beyond the fast path: the general path decides every request.
        limits("token_bucket", 1L << 60, SECOND, 1L << 60, false),
        concat(limits("token_bucket", 3, SECOND, 3, false),
            limits("fixed_window", 10, 60 * SECOND, 10, false)),
        concat(limits("gcra", 2, SECOND, 4, false),
            limits("sliding_log", 5, 2 * SECOND, 5, false)));
    int policyIndex = 0;
    for (String[] policy : policies) {
      String batched = "batched:{" + policyIndex + "}";
      String single = "single:{" + policyIndex + "}";
      policyIndex++;
      long now = NOW;
      for (int step = 0; step < 60; step++) {
        int size = 1 + random.nextInt(8);
        long[] costs = new long[size];
        long[] maxDelays = new long[size];
        long[] times = new long[size];
        for (int i = 0; i < size; i++) {
          // Apart, at the same instant, and now and then from the past.
          now += random.nextInt(4) == 0 ? 0 : random.nextInt(120) * 1_000_000L + 1;
          times[i] = random.nextInt(10) == 0 ? now - SECOND / 2 : now;
          // Now and then a cost of 2^51, which the fast path leaves to the general path,
          // together with the requests after it.
          costs[i] = random.nextInt(20) == 0 ? 1L << 51 : random.nextInt(4);
          maxDelays[i] = random.nextBoolean() ? NO_MAX : random.nextInt(2) * SECOND / 2;
        }
        List<Object> expected = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          expected.addAll(call(single, policy, new long[] {times[i]}, new long[] {costs[i]},
              new long[] {maxDelays[i]}, false));
        }
        List<Object> actual = call(batched, policy, times, costs, maxDelays, false);

        String context = "policy " + Arrays.toString(policy) + " step " + step + " times "
            + Arrays.toString(times) + " costs " + Arrays.toString(costs) + " max delays "
            + Arrays.toString(maxDelays);
        assertThat(actual).as(context).isEqualTo(expected);
        for (int i = 0; i < policy.length / 5; i++) {
          assertThat(stateOf(batched + ":" + i)).as(context + " limit " + i)
              .isEqualTo(stateOf(single + ":" + i));
        }
      }
    }
  }

  @Test
  void script_batchOfOne_repliesSixValues() {
    String[] policy = limits("token_bucket", 5, SECOND, 5, false);

    List<Object> reply =
        call("one:{k}", policy, new long[] {NOW}, new long[] {1}, new long[] {NO_MAX}, true);

    assertThat(reply).containsExactly(1L, 4L, 200_000_000L, 0L, 0L, 0L);
  }

  @Test
  void script_batch_setsExpiry() {
    long now = System.currentTimeMillis() * 1_000_000L;
    long[] times = {now, now, now};
    long[] ones = {1, 1, 1};
    long[] noMax = {NO_MAX, NO_MAX, NO_MAX};
    String[] bucket = limits("token_bucket", 5, SECOND, 5, false);
    // Numbers beyond the fast path: 2^52 units a day, of which three requests take 3/4.
    String[] large = limits("token_bucket", 1L << 52, 86_400 * SECOND, 1L << 52, false);
    long[] quarters = {1L << 50, 1L << 50, 1L << 50};

    call("expiry:{fast}", bucket, times, ones, noMax, true);
    call("expiry:{general}", large, times, quarters, noMax, true);

    // Three tokens at 200 ms each; 3/4 of a day.
    assertThat(REDIS.commands().pttl("expiry:{fast}:0")).isBetween(1L, 600L);
    assertThat(REDIS.commands().pttl("expiry:{general}:0")).isBetween(64_700_000L, 64_800_000L);
  }

  // The store: requests queued behind a call in flight, against real Redis.

  @Test
  void tryAcquireAsync_hotKey_arrivalOrderFewCalls() {
    PolicyBinding binding = store(Duration.ofSeconds(5)).bind(DAILY);
    int requests = 1_000;
    long callsBefore = evalshaCalls();

    List<CompletableFuture<Decision>> decisions = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      decisions.add(binding.tryAcquireAsync("hot", 1, NO_MAX).toCompletableFuture());
    }

    for (int i = 0; i < requests; i++) {
      Decision decision = decisions.get(i).join();
      assertThat(decision.source()).as("request %d", i).isEqualTo(Source.STORE);
      // One token per 288 s: none comes back while the test runs.
      assertThat(decision.allowed()).as("request %d", i).isEqualTo(i < 300);
      if (i < 300) {
        assertThat(decision.remaining()).as("request %d", i).isEqualTo(299 - i);
      }
    }
    long calls = evalshaCalls() - callsBefore;
    // At most 64 requests a call, so 16 calls at least. Requests queue while a call is in
    // flight, so a call per request would need the loop above to stall after each one.
    assertThat(calls).isBetween(16L, (long) requests / 2);
  }

  @Test
  void tryAcquire_eightThreads_admitExactlyLimit() throws Exception {
    PolicyBinding binding = store(Duration.ofSeconds(5)).bind(DAILY);

    long admitted = HotKeyLoad.admitted(binding, "hot", 8, 100);

    assertThat(admitted).isEqualTo(300);
  }

  // The binding on commands that the test completes by hand.

  @Test
  void tryAcquireAsync_duringCall_waitingSplitAmongCalls() throws Exception {
    RedisBinding binding = fakeBinding(Duration.ofSeconds(60));
    int waitingCount = 2 * RedisBinding.MAX_CALLS;

    CompletableFuture<Decision> first = async(binding, 1, NO_MAX);
    List<CompletableFuture<Decision>> waiting = new ArrayList<>();
    waiting.add(async(binding, 2, 7));
    for (int i = 1; i < waitingCount; i++) {
      waiting.add(async(binding, 3, NO_MAX));
    }
    int callsBeforeAReply = calls.size();
    calls.get(0).complete(List.of(1L, 9L, 100L, 0L, 0L, 0L));

    assertThat(callsBeforeAReply).isEqualTo(1);
    assertThat(decided(first).remaining()).isEqualTo(9);
    // Two requests in each call: the first's cost and longest delay in their places, the
    // second's after the limit's five values, each with an empty time: the server's.
    assertThat(calls).hasSize(1 + RedisBinding.MAX_CALLS);
    assertThat(callArgs.get(1)).containsExactly(
        "", "2", "7", "1", "token_bucket", "300", "86400000000000", "300", "0",
        "3", Long.toString(NO_MAX), "");
    for (int call = 2; call <= RedisBinding.MAX_CALLS; call++) {
      assertThat(callArgs.get(call)).as("call %d", call).containsExactly(
          "", "3", Long.toString(NO_MAX), "1", "token_bucket", "300", "86400000000000", "300",
          "0", "3", Long.toString(NO_MAX), "");
    }
    assertThat(waiting.get(0).isDone()).isFalse();

    for (int call = 1; call <= RedisBinding.MAX_CALLS; call++) {
      long remaining = 100 - 2L * call;
      calls.get(call).complete(List.of(1L, remaining + 1, 300L, 0L, 0L, 0L,
          0L, remaining, 300L, 1_000L, 0L, 0L));
    }

    for (int i = 0; i < waitingCount; i++) {
      Decision decision = decided(waiting.get(i));
      long callRemaining = 100 - 2L * (i / 2 + 1);
      assertThat(decision.allowed()).as("request %d", i).isEqualTo(i % 2 == 0);
      assertThat(decision.remaining()).as("request %d", i)
          .isEqualTo(i % 2 == 0 ? callRemaining + 1 : callRemaining);
    }
    assertThat(calls).hasSize(1 + RedisBinding.MAX_CALLS);
    // The key's calls are over: the next request goes at once, alone.
    async(binding, 1, NO_MAX);
    assertThat(calls).hasSize(2 + RedisBinding.MAX_CALLS);
    assertThat(callArgs.get(1 + RedisBinding.MAX_CALLS)).hasSize(9);
  }

  @Test
  void tryAcquireAsync_timedOutAfterDenial_repeatsDenial() throws Exception {
    RedisBinding binding = fakeBinding(Duration.ofMillis(300));
    CompletableFuture<Decision> first = async(binding, 1, NO_MAX);
    List<CompletableFuture<Decision>> flood = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      flood.add(async(binding, 1, NO_MAX));
    }
    CompletableFuture<Decision> otherCost = async(binding, 2, NO_MAX);
    CompletableFuture<Decision> peek = async(binding, 0, NO_MAX);

    // Denied: 0 remaining, full again in 600 s, 1 unit back in 288 s. The waiting requests
    // then go to Redis, which never replies.
    calls.get(0).complete(List.of(0L, 0L, 600 * SECOND, 288 * SECOND, 0L, 0L));

    assertThat(decided(first).allowed()).isFalse();
    assertThat(calls).hasSize(1 + RedisBinding.MAX_CALLS);
    for (int i = 0; i < flood.size(); i++) {
      Decision decision = decided(flood.get(i));
      assertThat(decision.allowed()).as("request %d", i).isFalse();
      assertThat(decision.source()).as("request %d", i).isEqualTo(Source.STORE);
      assertThat(decision.retryAfterNanos()).as("request %d", i)
          .isBetween(287 * SECOND, 288 * SECOND);
      assertThat(decision.resetAfterNanos()).as("request %d", i)
          .isBetween(599 * SECOND, 600 * SECOND);
    }
    // Another cost and a peek could have been admitted, so the failure mode decides them.
    assertThat(decided(otherCost).source()).isEqualTo(Source.FAILED_OPEN);
    assertThat(decided(peek).source()).isEqualTo(Source.FAILED_OPEN);
  }

  @Test
  void tryAcquireAsync_timedOutBeforeDenial_fallsBack() throws Exception {
    RedisBinding binding = fakeBinding(Duration.ofMillis(300));
    async(binding, 1, NO_MAX);
    List<CompletableFuture<Decision>> waiting = new ArrayList<>();
    for (int i = 0; i < 2 * RedisBinding.MAX_CALLS; i++) {
      waiting.add(async(binding, 1, NO_MAX));
    }
    calls.get(0).complete(List.of(1L, 9L, 100L, 0L, 0L, 0L));

    // The last call, of the latest requests, is denied before the others time out.
    calls.get(RedisBinding.MAX_CALLS).complete(List.of(
        0L, 0L, 600 * SECOND, 288 * SECOND, 0L, 0L, 0L, 0L, 600 * SECOND, 288 * SECOND, 0L, 0L));

    for (int i = 0; i < waiting.size() - 2; i++) {
      assertThat(decided(waiting.get(i)).source()).as("request %d", i)
          .isEqualTo(Source.FAILED_OPEN);
    }
    assertThat(decided(waiting.get(waiting.size() - 1)).source()).isEqualTo(Source.STORE);
  }

  @Test
  void tryAcquireAsync_expiredInLineAfterDenial_repeatsDenial() throws Exception {
    RedisBinding binding = fakeBinding(Duration.ofMillis(100));
    async(binding, 1, NO_MAX);
    CompletableFuture<Decision> waiting = async(binding, 1, NO_MAX);
    Thread.sleep(150);

    calls.get(0).complete(List.of(0L, 0L, 600 * SECOND, 288 * SECOND, 0L, 0L));

    assertThat(decided(waiting).allowed()).isFalse();
    assertThat(decided(waiting).source()).isEqualTo(Source.STORE);
    assertThat(calls).hasSize(1);
  }

  @Test
  void tryAcquireAsync_denialExpired_fallsBack() throws Exception {
    RedisBinding binding = fakeBinding(Duration.ofMillis(100));
    async(binding, 1, NO_MAX);
    CompletableFuture<Decision> waiting = async(binding, 1, NO_MAX);
    Thread.sleep(150);

    // A retry after of 1 ms, which has passed by the time the reply comes.
    calls.get(0).complete(List.of(0L, 0L, 2_000_000L, 1_000_000L, 0L, 0L));

    assertThat(decided(waiting).source()).isEqualTo(Source.FAILED_OPEN);
    assertThat(calls).hasSize(1);
  }

  @Test
  void tryAcquireAsync_waitedPastTimeout_fallsBack() throws Exception {
    RedisBinding binding = fakeBinding(Duration.ofMillis(100));
    CompletableFuture<Decision> first = async(binding, 1, NO_MAX);
    CompletableFuture<Decision> waiting = async(binding, 1, NO_MAX);

    Thread.sleep(150);
    calls.get(0).complete(List.of(1L, 9L, 100L, 0L, 0L, 0L));

    assertThat(decided(first).source()).isEqualTo(Source.STORE);
    assertThat(decided(waiting).source()).isEqualTo(Source.FAILED_OPEN);
    assertThat(calls).hasSize(1);
  }

  @Test
  void tryAcquireAsync_batchWithoutReply_failsAtDeadline() throws Exception {
    // Long enough that the first call's reply comes in time, and that the batch's call is
    // failed by the binding's deadline long before a 60 s wait would end.
    RedisBinding binding = fakeBinding(Duration.ofMillis(400));
    async(binding, 1, NO_MAX);
    CompletableFuture<Decision> waiting = async(binding, 1, NO_MAX);
    Thread.sleep(100);
    calls.get(0).complete(List.of(1L, 9L, 100L, 0L, 0L, 0L));

    Decision decision = decided(waiting);

    assertThat(decision.source()).isEqualTo(Source.FAILED_OPEN);
    assertThat(calls).hasSize(2);
    // The command itself is completed, so that Lettuce would not send it after a reconnect.
    assertThat(calls.get(1).isCompletedExceptionally()).isTrue();
    assertThat(calls.get(1)).failsWithin(Duration.ZERO)
        .withThrowableOfType(Exception.class)
        .withCauseInstanceOf(RedisCommandTimeoutException.class);
  }

  @Test
  void tryAcquireAsync_longQueueRejectedAtOnce_allFallBack() throws Exception {
    RedisBinding binding = fakeBinding(Duration.ofSeconds(60));
    async(binding, 1, NO_MAX);
    // Enough waiting requests that handling each call rejected at once by a nested call
    // overflowed the stack.
    List<CompletableFuture<Decision>> waiting = new ArrayList<>();
    for (int i = 0; i < 300_000; i++) {
      waiting.add(async(binding, 1, NO_MAX));
    }
    rejectCalls = true;

    calls.get(0).completeExceptionally(new RedisConnectionException("connection lost"));

    for (CompletableFuture<Decision> decision : waiting) {
      assertThat(decided(decision).source()).isEqualTo(Source.FAILED_OPEN);
    }
    // The lane is retired: the next request goes at once, alone.
    int callsBefore = calls.size();
    async(binding, 1, NO_MAX);
    assertThat(calls).hasSize(callsBefore + 1);
  }

  /** Waits for a decision, for at most a minute, so that a mistake fails instead of hanging. */
  private static Decision decided(CompletableFuture<Decision> decision) throws Exception {
    return decision.get(60, TimeUnit.SECONDS);
  }

  private static CompletableFuture<Decision> async(PolicyBinding binding, long cost, long max) {
    return binding.tryAcquireAsync("k", cost, max).toCompletableFuture();
  }

  private RedisBinding fakeBinding(Duration timeout) {
    DecisionScript script = new DecisionScript(fakeCommands(), Duration.ofSeconds(60), timer);
    Breaker breaker = new Breaker(System::nanoTime, SECOND, Integer.MAX_VALUE, "test",
        FailureMode.ALLOW);
    FailureHandling failures =
        new FailureHandling(timeout, FailureMode.ALLOW, Duration.ofSeconds(1), breaker);
    return new RedisBinding(DAILY, script, "sluice", null, true, failures, null);
  }

  /** Commands whose SCRIPT LOAD replies at once and whose EVALSHA waits for the test. */
  @SuppressWarnings("unchecked")
  private RedisScriptingAsyncCommands<String, String> fakeCommands() {
    return (RedisScriptingAsyncCommands<String, String>) Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {RedisScriptingAsyncCommands.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "scriptLoad" -> {
            AsyncCommand<String, String, String> load = command(CommandType.SCRIPT);
            load.complete("sha");
            yield load;
          }
          case "evalsha" -> {
            AsyncCommand<String, String, List<Object>> call = command(CommandType.EVALSHA);
            calls.add(call);
            callArgs.add((String[]) args[3]);
            if (rejectCalls) {
              call.completeExceptionally(new RedisConnectionException("disconnected"));
            }
            yield call;
          }
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static <T> AsyncCommand<String, String, T> command(CommandType type) {
    return new AsyncCommand<>(new Command(type, new StatusOutput<>(StringCodec.ASCII)));
  }

  private RedisStore store(Duration timeout) {
    RedisStore store = RedisStore.builder().uri(REDIS.uri()).commandTimeout(timeout).build();
    stores.add(store);
    REDIS.commands().flushall();
    return store;
  }

  /** The five script arguments of one limit. */
  private static String[] limits(
      String algorithm, long limit, long period, long burst, boolean shape) {
    return new String[] {algorithm, Long.toString(limit), Long.toString(period),
        Long.toString(burst), shape ? "1" : "0"};
  }

  private static String[] concat(String[] first, String[] second) {
    String[] both = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    return both;
  }

  /** Calls the script for one request of each time and cost, on the keys of a tag. */
  private static List<Object> call(String tag, String[] policy, long[] times, long[] costs,
      long[] maxDelays, boolean expire) {
    int limitCount = policy.length / 5;
    String[] keys = new String[limitCount];
    for (int i = 0; i < limitCount; i++) {
      keys[i] = tag + ":" + i;
    }
    List<String> args = new ArrayList<>(List.of(
        Long.toString(times[0]), Long.toString(costs[0]), Long.toString(maxDelays[0]),
        expire ? "1" : "0"));
    args.addAll(Arrays.asList(policy));
    for (int i = 1; i < costs.length; i++) {
      args.add(Long.toString(costs[i]));
      args.add(Long.toString(maxDelays[i]));
      args.add(Long.toString(times[i]));
    }
    return REDIS.commands().evalsha(sha, ScriptOutputType.MULTI, keys,
        args.toArray(String[]::new));
  }

  /** Returns a key's stored state, whatever its Redis type, without its expiry. */
  private static Object stateOf(String key) {
    RedisCommands<String, String> commands = REDIS.commands();
    return switch (commands.type(key)) {
      case "hash" -> commands.hgetall(key);
      case "zset" -> commands.zrangeWithScores(key, 0, -1).stream()
          .map(ScoredValue::toString).toList();
      case "none" -> "none";
      default -> commands.dump(key);
    };
  }

  private static long evalshaCalls() {
    for (String line : REDIS.commands().info("commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_evalsha:")) {
        return Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(',')));
      }
    }
    return 0;
  }
}
