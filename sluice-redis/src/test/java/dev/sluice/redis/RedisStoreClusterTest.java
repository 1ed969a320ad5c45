package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store on a real Redis Cluster of three masters without replicas. Decisions run on a fake
 * clock that does not move ({@link TimeMode#CLIENT}), so no refill happens between requests,
 * however slow the machine.
 */
class RedisStoreClusterTest {

  /** A token bucket of 5 per 60 s: a fresh key admits 5 at once, then one per 12 s. */
  private static final Limit BUCKET = Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofSeconds(60));
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  /** 300 per day and 1,000 per hour: on one key, request i < 300 passes and leaves 299 - i. */
  private static final Policy DAILY_AND_HOURLY = Policy.of("hot",
      Limit.of(Algorithm.TOKEN_BUCKET, 300, Duration.ofDays(1)).withName("daily"),
      Limit.of(Algorithm.FIXED_WINDOW, 1_000, Duration.ofHours(1)).withName("hourly"));

  private static RedisCluster cluster;

  private final FakeClock clock = new FakeClock(1_800_000_000_000_000_000L);
  private final List<RedisStore> stores = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = RedisCluster.start(3);
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @AfterEach
  void closeStores() {
    stores.forEach(RedisStore::close);
  }

  @Test
  void bind_policyOfThreeLimits_putsAllKeysOfOneUserKeyInOneSlot() {
    Policy policy = Policy.of("slots", BUCKET.withName("per-minute"),
        Limit.of(Algorithm.FIXED_WINDOW, 100, Duration.ofHours(1)).withName("per-hour"),
        Limit.of(Algorithm.GCRA, 10, Duration.ofSeconds(1)).withName("per-second"));
    RedisBinding binding = (RedisBinding) store(FailureMode.DENY).bind(policy);
    String[] keys = binding.keysOf("tenant-a:user-42");
    RedisCommands<String, String> node = cluster.nodeCommands().get(0);

    List<Long> slots = Arrays.stream(keys).map(node::clusterKeyslot).toList();
    Decision decision = binding.tryAcquire("tenant-a:user-42", 1, 0);

    assertThat(slots).hasSize(3).containsOnly(slots.get(0));
    assertThat(decision.source()).isEqualTo(Source.STORE);
    assertThat(decision.allowed()).isTrue();
    assertThat(cluster.nodeCommands()).anySatisfy(
        master -> assertThat(master.exists(keys)).isEqualTo(3));
  }

  @Test
  void tryAcquire_sevenRequestsOnBucketOfFive_admitsFiveDeniesTwo() {
    PolicyBinding binding = store(FailureMode.DENY).bind(Policy.of("single", BUCKET));

    List<Decision> decisions = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      decisions.add(binding.tryAcquire("tenant-a:user-42", 1, 0));
    }

    assertThat(decisions).allSatisfy(d -> assertThat(d.source()).isEqualTo(Source.STORE));
    assertThat(decisions).extracting(Decision::allowed)
        .containsExactly(true, true, true, true, true, false, false);
    // Remaining after each admission: 5 - 1 = 4, then 3, 2, 1, 0; the denials leave 0.
    assertThat(decisions).extracting(Decision::remaining).containsExactly(4L, 3L, 2L, 1L, 0L,
        0L, 0L);
  }

  @Test
  void tryAcquire_thousandKeysOnAllMasters_admitFiveOfSevenEach() {
    PolicyBinding binding = store(FailureMode.DENY).bind(Policy.of("bulk", BUCKET));
    List<String> userKeys = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      userKeys.add("tenant-" + (i % 7) + ":user-" + i);
    }

    List<List<Decision>> byKey = decideRounds(binding, userKeys, 7);

    for (int i = 0; i < userKeys.size(); i++) {
      List<Decision> decisions = byKey.get(i);
      assertThat(decisions).as(userKeys.get(i))
          .allSatisfy(d -> assertThat(d.source()).isEqualTo(Source.STORE))
          .extracting(Decision::remaining).containsExactly(4L, 3L, 2L, 1L, 0L, 0L, 0L);
      assertThat(decisions.stream().filter(Decision::allowed).count()).isEqualTo(5);
    }
    List<Integer> keysPerMaster = cluster.nodeCommands().stream()
        .map(master -> master.keys("sluice:{bulk:*").size()).toList();
    assertThat(keysPerMaster).as("keys per master").allSatisfy(n -> assertThat(n).isPositive());
    assertThat(keysPerMaster.stream().mapToInt(Integer::intValue).sum()).isEqualTo(1_000);
  }

  @Test
  void tryAcquire_slotMovedAfterStoreStarted_followsRedirectionAndCountsExactly() {
    RedisBinding binding = (RedisBinding) store(FailureMode.DENY).bind(Policy.of("moved", BUCKET));
    String key = binding.keysOf("tenant-b:user-9")[0];
    RedisCommands<String, String> from = cluster.masterOf(key);
    RedisCommands<String, String> to = cluster.nodeCommands().stream()
        .filter(node -> node != from).findFirst().orElseThrow();
    moveEmptySlot(Math.toIntExact(from.clusterKeyslot(key)), from, to);
    from.configResetstat();

    List<Decision> decisions = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      decisions.add(binding.tryAcquire("tenant-b:user-9", 1, 0));
    }

    // The store still maps the slot to the old master, which replies MOVED; the store follows.
    assertThat(decisions).allSatisfy(d -> assertThat(d.source()).isEqualTo(Source.STORE));
    assertThat(decisions).extracting(Decision::remaining).containsExactly(4L, 3L, 2L, 1L, 0L,
        0L, 0L);
    assertThat(decisions.stream().filter(Decision::allowed).count()).isEqualTo(5);
    assertThat(to.exists(key)).isEqualTo(1);
    assertThat(from.info("errorstats")).as("errors the old master replied")
        .contains("errorstat_MOVED:count=");
  }

  @Test
  void tryAcquireAsync_burstAfterSlotMove_inOrder() {
    RedisBinding binding = (RedisBinding) store(FailureMode.DENY).bind(DAILY_AND_HOURLY);
    String[] keys = binding.keysOf("burst");
    RedisCommands<String, String> from = cluster.masterOf(keys[0]);
    RedisCommands<String, String> to = cluster.nodeCommands().stream()
        .filter(node -> node != from).findFirst().orElseThrow();
    moveEmptySlot(Math.toIntExact(from.clusterKeyslot(keys[0])), from, to);
    to.configResetstat();
    int requests = 1_000;

    List<CompletableFuture<Decision>> decisions = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      decisions.add(binding.tryAcquireAsync("burst", 1, Long.MAX_VALUE).toCompletableFuture());
    }

    // The requests that waited for a call in flight go together, each batch redirected by
    // the old master, and are decided in the order they were made.
    for (int i = 0; i < requests; i++) {
      Decision decision = decisions.get(i).join();
      assertThat(decision.source()).as("request %d", i).isEqualTo(Source.STORE);
      assertThat(decision.allowed()).as("request %d", i).isEqualTo(i < 300);
      assertThat(decision.remaining()).as("request %d", i).isEqualTo(Math.max(0, 299 - i));
    }
    // At most 64 requests a call, so 16 calls at least.
    assertThat(evalshaCalls(to)).isBetween(16L, (long) requests / 2);
    assertThat(to.exists(keys)).isEqualTo(2);
  }

  @Test
  void tryAcquire_eightThreadsOneKey_exact() throws Exception {
    PolicyBinding binding = store(FailureMode.DENY).bind(DAILY_AND_HOURLY);

    long admitted = HotKeyLoad.admitted(binding, "threads", 8, 100);

    assertThat(admitted).isEqualTo(300);
  }

  private static long evalshaCalls(RedisCommands<String, String> master) {
    Matcher calls = Pattern.compile("cmdstat_evalsha:calls=(\\d+)")
        .matcher(master.info("commandstats"));
    return calls.find() ? Long.parseLong(calls.group(1)) : 0;
  }

  /**
   * Gives a slot without keys to another master, with a new config epoch so that the other
   * nodes accept the change. The old master redirects requests for the slot at once.
   */
  private static void moveEmptySlot(
      int slot, RedisCommands<String, String> from, RedisCommands<String, String> to) {
    String target = to.clusterMyId();
    to.clusterBumpepoch();
    to.clusterSetSlotNode(slot, target);
    from.clusterSetSlotNode(slot, target);
  }

  @Test
  void tryAcquire_scriptFlushedOnEveryMaster_reloadsAndChargesOnce() {
    PolicyBinding binding = store(FailureMode.DENY).bind(Policy.of("flushed", BUCKET));
    Decision first = binding.tryAcquire("user-3", 1, 0);
    cluster.nodeCommands().forEach(RedisCommands::scriptFlush);

    Decision second = binding.tryAcquire("user-3", 1, 0);

    // 5 - 1 = 4 after the first admission; the reload charges only once: 3 after the second.
    assertThat(first.remaining()).isEqualTo(4);
    assertThat(second.source()).isEqualTo(Source.STORE);
    assertThat(second.remaining()).isEqualTo(3);
    String sha = cluster.nodeCommands().get(0).digest(DecisionScript.assemble());
    assertThat(cluster.nodeCommands()).as("masters holding the reloaded script")
        .allSatisfy(master -> assertThat(master.scriptExists(sha)).containsExactly(true));
  }

  @Test
  void tryAcquire_wrongTypeKeyOnCluster_fallsBackForThatKeyOnly() {
    RedisStore store = store(FailureMode.ALLOW);
    RedisBinding binding = (RedisBinding) store.bind(Policy.of("broken", BUCKET));
    String key = binding.keysOf("user-7")[0];
    // A string where the script expects a hash: HMGET fails inside the script with WRONGTYPE.
    cluster.masterOf(key).set(key, "not a hash");
    List<Decision> decisions = new ArrayList<>();
    Decision otherKey;
    List<LogRecord> warnings;
    try (StoreLog log = StoreLog.open()) {
      for (int i = 0; i < 5; i++) {
        decisions.add(binding.tryAcquire("user-7", 1, 0));
      }
      otherKey = binding.tryAcquire("user-8", 1, 0);
      warnings = log.records(Level.WARNING);
    }

    assertThat(decisions).allSatisfy(decision -> {
      assertThat(decision.source()).isEqualTo(Source.FAILED_OPEN);
      assertThat(decision.remaining()).isZero();
    });
    // The damaged key is no sign of a failing Redis: other keys are still decided there.
    assertThat(store.breakerOpen()).isFalse();
    assertThat(otherKey.source()).isEqualTo(Source.STORE);
    assertThat(warnings).singleElement()
        .extracting(LogRecord::getMessage).asString()
        .contains("keys=\"" + key + "\"", "WRONGTYPE");
  }

  /**
   * A node of the cluster given as one server would decide only the keys of its own slots, and
   * every other key would get the failure mode for good.
   */
  @Test
  void build_clusterNodeAsOneServer_rejected() {
    String node = cluster.nodeUris().get(0);

    assertThatThrownBy(() -> RedisStore.builder().uri(node).build())
        .isInstanceOf(RedisException.class)
        .hasMessage("Redis at " + node + "/0 is a node of a Redis Cluster, which holds only the"
            + " keys of its own slots; connect with clusterSeeds (--redis-cluster or cluster: in"
            + " sluice serve) and the URIs of the cluster's nodes");
  }

  @Test
  void build_cluster_warmsUpEveryMasterLeavingNoKey() {
    cluster.nodeCommands().forEach(RedisCommands::configResetstat);

    store(FailureMode.ALLOW);

    // One warm-up decision per master, so each master ran exactly one EVALSHA, then a DEL.
    assertThat(cluster.nodeCommands()).as("masters after build()").allSatisfy(master -> {
      assertThat(master.info("commandstats")).contains("cmdstat_evalsha:calls=1,");
      assertThat(master.keys("sluice:{sluice-warm-up:*")).isEmpty();
    });
  }

  /**
   * Sends one request per key per round, all keys of a round in flight at once, and waits for a
   * round before the next, so that each key gets its requests in order.
   */
  private static List<List<Decision>> decideRounds(
      PolicyBinding binding, List<String> userKeys, int rounds) {
    List<List<Decision>> byKey = new ArrayList<>();
    userKeys.forEach(k -> byKey.add(new ArrayList<>()));
    for (int round = 0; round < rounds; round++) {
      List<CompletableFuture<Decision>> inFlight = userKeys.stream()
          .map(k -> binding.tryAcquireAsync(k, 1, 0).toCompletableFuture()).toList();
      for (int i = 0; i < userKeys.size(); i++) {
        byKey.get(i).add(inFlight.get(i).join());
      }
    }
    return byKey;
  }

  private RedisStore store(FailureMode mode) {
    RedisStore store = RedisStore.builder()
        .clusterSeeds(cluster.seeds())
        .timeMode(TimeMode.CLIENT)
        .timeSource(clock)
        .commandTimeout(TIMEOUT)
        .onFailure(mode)
        .build();
    stores.add(store);
    return store;
  }
}
