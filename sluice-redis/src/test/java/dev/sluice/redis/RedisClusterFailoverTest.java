package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * A master of a Redis Cluster dies and its replica takes over. The cluster then lists the dead
 * master without slots, marked failed, until an operator removes it.
 */
class RedisClusterFailoverTest {

  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.FIXED_WINDOW, 1_000, Duration.ofHours(1)));
  /** The maximum wait from the promotion to a decision by Redis on the promoted replica. */
  private static final Duration RECOVERY = Duration.ofSeconds(15);
  /**
   * The same for a master that hangs, and the maximum time to build a store meanwhile: well
   * below the 60 s of Lettuce's default timeout, above the 5 to 7 s measured.
   */
  private static final Duration FROZEN_RECOVERY = Duration.ofSeconds(30);

  @Test
  void failover_masterKilled_storeMoves() throws Exception {
    failOver(RedisCluster::kill, RECOVERY);
  }

  /**
   * A master that hangs rather than refusing connections, as a stopped process or a host that
   * is gone does. Each reload of the slot map waits for it up to the seeds' timeout, so with
   * Lettuce's default of 60 s the move took 68 s after the promotion, and a new store took
   * 60 s to build.
   */
  @Test
  void failover_masterFrozen_storeMoves() throws Exception {
    failOver(RedisCluster::freeze, FROZEN_RECOVERY);
  }

  /**
   * Fails master 2 over to its replica with {@code failure}, then checks that a running store
   * moves within {@code recovery} of the promotion, and that a new store builds within
   * {@link #FROZEN_RECOVERY} while the cluster still lists the failed master.
   */
  private static void failOver(BiConsumer<RedisCluster, Integer> failure, Duration recovery)
      throws Exception {
    String onLiveMaster;
    try (RedisCluster cluster = RedisCluster.start(3)) {
      RedisCommands<String, String> replica = cluster.addReplica(2);
      try (RedisStore running = store(cluster)) {
        RedisBinding binding = (RedisBinding) running.bind(POLICY);
        String userKey = keyOnMaster(cluster, binding, 2);
        onLiveMaster = keyOnMaster(cluster, binding, 0);
        assertThat(binding.tryAcquire(userKey, 1, 0).source()).isEqualTo(Source.STORE);

        failure.accept(cluster, 2);
        awaitPromotion(replica);

        long deadline = System.nanoTime() + recovery.toNanos();
        while (binding.tryAcquire(userKey, 1, 0).source() != Source.STORE) {
          assertThat(System.nanoTime()).as("a decision by the promoted replica")
              .isLessThan(deadline);
          Thread.sleep(50);
        }
      }
      long started = System.nanoTime();
      try (RedisStore fresh = store(cluster)) {
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FROZEN_RECOVERY);
        PolicyBinding binding = fresh.bind(POLICY);
        assertThat(binding.tryAcquire(onLiveMaster, 1, 0).source()).isEqualTo(Source.STORE);
      }
    }
  }

  private static RedisStore store(RedisCluster cluster) {
    return RedisStore.builder()
        .clusterSeeds(cluster.seeds())
        .commandTimeout(Duration.ofSeconds(2))
        .onFailure(FailureMode.DENY)
        .build();
  }

  /**
   * Returns a user key whose Redis keys master {@code node} (in start order) serves, while
   * every master is alive.
   */
  private static String keyOnMaster(RedisCluster cluster, RedisBinding binding, int node) {
    RedisCommands<String, String> master = cluster.nodeCommands().get(node);
    for (int i = 0; ; i++) {
      String userKey = "user-" + i;
      if (cluster.masterOf(binding.keysOf(userKey)[0]) == master) {
        return userKey;
      }
    }
  }

  private static void awaitPromotion(RedisCommands<String, String> replica)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!replica.info("replication").contains("role:master")
        || !replica.clusterInfo().contains("cluster_state:ok")) {
      assertThat(System.nanoTime()).as("the replica's promotion").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
