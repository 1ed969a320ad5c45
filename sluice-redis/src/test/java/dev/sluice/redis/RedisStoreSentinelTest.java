package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.sentinel.api.sync.RedisSentinelCommands;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A master, one replica and one sentinel, each a real {@code redis-server} on 127.0.0.1. The
 * store connects through the sentinel URI; the master is killed with SIGKILL and the sentinel
 * promotes the replica. Every wait is for a real event, with a deadline of 60 s.
 */
class RedisStoreSentinelTest {

  private static final String MASTER_NAME = "mymaster";
  /** A token bucket of 5 per minute: a fresh key admits 5 at once. */
  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofMinutes(1)));
  private static final long EVENT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final long POLL_MILLIS = 50;

  private final List<AutoCloseable> resources = new ArrayList<>();
  private RedisServer master;
  private RedisServer replica;
  private RedisServer sentinel;

  @BeforeEach
  void start() {
    master = track(RedisServer.start());
    replica = track(RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(master.port())));
    sentinel = track(RedisServer.startSentinel(MASTER_NAME, master.port()));
    RedisCommands<String, String> replicaCommands = commands(replica);
    await(() -> replicaCommands.info("replication").contains("master_link_status:up"),
        "the replica to finish its first sync");
    RedisSentinelCommands<String, String> sentinelCommands = sentinelCommands();
    await(() -> !sentinelCommands.replicas(MASTER_NAME).isEmpty(),
        "the sentinel to discover the replica");
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  @Test
  void tryAcquire_throughSentinelUri_decidesOnMaster() {
    PolicyBinding binding = sentinelStore().bind(POLICY);

    // A fresh bucket of 5 admits 5 requests (remaining 4..0) and denies the sixth.
    for (long remaining = 4; remaining >= 0; remaining--) {
      assertStoreDecision(binding.tryAcquire("tenant-a:user-42", 1, 0), true, remaining);
    }
    assertStoreDecision(binding.tryAcquire("tenant-a:user-42", 1, 0), false, 0);
    assertThat(commands(master).keys("sluice:*")).hasSize(1);
  }

  @Test
  void tryAcquire_masterKilledAndFailedOver_continuesOnNewMasterAfterReload() {
    RedisStore store = sentinelStore();
    PolicyBinding binding = store.bind(POLICY);
    for (long remaining = 4; remaining >= 2; remaining--) {
      assertStoreDecision(binding.tryAcquire("user-42", 1, 0), true, remaining);
    }
    assertThat(commands(master).waitForReplication(1, 10_000))
        .as("replicas that acknowledged the three admissions").isEqualTo(1);
    RedisCommands<String, String> replicaCommands = commands(replica);
    String sha = replicaCommands.digest(DecisionScript.assemble());
    replicaCommands.scriptFlush();
    assertThat(replicaCommands.scriptExists(sha)).containsExactly(false);

    master.kill();
    awaitMasterPort(replica.port());
    Map<Source, Integer> sources = decideUntilStore(binding);

    assertThat(sources.keySet()).isSubsetOf(Source.STORE, Source.FAILED_CLOSED);
    // Two of the five units are left on the promoted replica: remaining 1, then 0, then denied.
    assertStoreDecision(binding.tryAcquire("user-42", 1, 0), true, 1);
    assertStoreDecision(binding.tryAcquire("user-42", 1, 0), true, 0);
    assertStoreDecision(binding.tryAcquire("user-42", 1, 0), false, 0);
    assertThat(replicaCommands.scriptExists(sha)).containsExactly(true);
    assertThat(store.breakerOpen()).isFalse();
  }

  /**
   * A failover that leaves the old master running, as {@code SENTINEL FAILOVER} or a network
   * partition does: the sentinels promote the replica at once but turn the old master into a
   * replica only when they next poll it, seconds later. Admissions made on the old master in
   * between are lost when it becomes a replica, so the store must move to the new master when
   * the sentinels announce it, before the old master is converted.
   */
  @Test
  void tryAcquire_manualFailover_movesBeforeConversion() {
    PolicyBinding binding = sentinelStore().bind(POLICY);
    assertStoreDecision(binding.tryAcquire("user-42", 1, 0), true, 4);
    RedisCommands<String, String> oldMaster = commands(master);
    RedisCommands<String, String> newMaster = commands(replica);

    sentinelCommands().failover(MASTER_NAME);
    awaitMasterPort(replica.port());
    int probes = 0;
    while (newMaster.keys("sluice:{api:probe-*").isEmpty()) {
      assertThat(oldMaster.info("replication"))
          .as("the old master's role before a decision reached the new master")
          .contains("role:master");
      assertThat(binding.tryAcquire("probe-" + probes++, 1, 0).source())
          .isEqualTo(Source.STORE);
      pause();
    }
  }

  /**
   * Decides on another key until Redis decides again, and counts each decision's source; a
   * decision that throws fails the test.
   */
  private static Map<Source, Integer> decideUntilStore(PolicyBinding binding) {
    Map<Source, Integer> sources = new EnumMap<>(Source.class);
    long deadline = System.nanoTime() + EVENT_TIMEOUT_NANOS;
    while (System.nanoTime() < deadline) {
      Decision decision = binding.tryAcquire("failover-probe", 1, 0);
      sources.merge(decision.source(), 1, Integer::sum);
      if (decision.source() == Source.STORE) {
        return sources;
      }
      pause();
    }
    return fail("no decision by Redis within 60 s of the failover; sources: " + sources);
  }

  private void awaitMasterPort(int port) {
    RedisSentinelCommands<String, String> sentinelCommands = sentinelCommands();
    await(() -> ((InetSocketAddress) sentinelCommands.getMasterAddrByName(MASTER_NAME))
        .getPort() == port, "the sentinel to promote the replica on port " + port);
  }

  private static void assertStoreDecision(Decision decision, boolean allowed, long remaining) {
    assertThat(decision.source()).isEqualTo(Source.STORE);
    assertThat(decision.allowed()).as("allowed of %s", decision).isEqualTo(allowed);
    assertThat(decision.remaining()).as("remaining of %s", decision).isEqualTo(remaining);
  }

  private RedisStore sentinelStore() {
    return track(RedisStore.builder()
        .uri("redis-sentinel://127.0.0.1:" + sentinel.port() + "/0#" + MASTER_NAME)
        .onFailure(FailureMode.DENY)
        .commandTimeout(Duration.ofSeconds(5))
        .probeInterval(Duration.ofMillis(200))
        .build());
  }

  private RedisCommands<String, String> commands(RedisServer server) {
    RedisClient client = track(RedisClient.create(server.uri()));
    return client.connect().sync();
  }

  private RedisSentinelCommands<String, String> sentinelCommands() {
    RedisClient client = track(RedisClient.create());
    return client.connectSentinel(RedisURI.create("127.0.0.1", sentinel.port())).sync();
  }

  private static void await(BooleanSupplier condition, String event) {
    long deadline = System.nanoTime() + EVENT_TIMEOUT_NANOS;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("waited 60 s for " + event);
      }
      pause();
    }
  }

  private static void pause() {
    try {
      Thread.sleep(POLL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted");
    }
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private RedisClient track(RedisClient client) {
    resources.add(client::shutdown);
    return client;
  }
}
