package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store on a real Redis Cluster of three masters whose seeds and slot map name them by the
 * IPv6 loopback address {@code ::1}. Skipped where {@code ::1} cannot be bound. Decisions run on
 * a fake clock that does not move, so no refill happens between requests.
 */
class RedisStoreIpv6ClusterTest {

  /** A token bucket of 5 per 60 s: a fresh key admits 5 at once. */
  private static final Limit BUCKET = Limit.of(Algorithm.TOKEN_BUCKET, 5, Duration.ofSeconds(60));

  private static RedisCluster cluster;

  @BeforeAll
  static void startCluster() {
    assumeTrue(ipv6LoopbackBindable(), "::1 cannot be bound on this machine");
    cluster = RedisCluster.startOnIpv6Loopback(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void clusterSeeds_ipv6Seeds_decideOnEveryMaster() {
    List<String> seeds = cluster.nodeUris();
    List<String> userKeys = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      userKeys.add("user-" + i);
    }

    List<List<Decision>> byKey = new ArrayList<>();
    try (RedisStore store = store(seeds)) {
      PolicyBinding binding = store.bind(Policy.of("v6", BUCKET));
      for (String key : userKeys) {
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
          decisions.add(binding.tryAcquire(key, 1, 0));
        }
        byKey.add(decisions);
      }
    }

    // 5 - 1 = 4 left after the first admission, down to 0; the sixth and seventh are denied.
    assertThat(byKey).allSatisfy(decisions -> assertThat(decisions)
        .allSatisfy(d -> assertThat(d.source()).isEqualTo(Source.STORE))
        .extracting(Decision::remaining).containsExactly(4L, 3L, 2L, 1L, 0L, 0L, 0L));
    assertThat(cluster.nodeCommands()).as("keys per master")
        .allSatisfy(master -> assertThat(master.keys("sluice:{v6:*")).isNotEmpty());
  }

  @Test
  void uri_ipv6Seeds_listsBracketedAddresses() {
    List<String> seeds = cluster.nodeUris();
    String expected = "redis://" + String.join(",", seeds.stream()
        .map(seed -> seed.substring("redis://".length())).toList()) + " (cluster)";

    try (RedisStore store = store(seeds)) {
      assertThat(seeds).allSatisfy(seed -> assertThat(seed).startsWith("redis://[::1]:"));
      assertThat(store.uri()).isEqualTo(expected);
    }
  }

  @Test
  void tryAcquire_ipv6Seeds_connectOverIpv6() {
    List<String> clientLists = new ArrayList<>();
    try (RedisStore store = store(cluster.nodeUris())) {
      PolicyBinding binding = store.bind(Policy.of("conn", BUCKET));
      for (int i = 0; i < 60; i++) {
        binding.tryAcquire("user-" + i, 1, 0);
      }
      cluster.nodeCommands().forEach(master -> clientLists.add(master.clientList()));
    }

    // The test's own connections come from 127.0.0.1, so a client from [::1] is the store's.
    assertThat(clientLists).hasSize(3)
        .allSatisfy(clients -> assertThat(clients).contains(" addr=[::1]:"));
  }

  private static RedisStore store(List<String> seeds) {
    return RedisStore.builder()
        .clusterSeeds(seeds)
        .timeMode(TimeMode.CLIENT)
        .timeSource(new FakeClock(1_800_000_000_000_000_000L))
        .commandTimeout(Duration.ofSeconds(5))
        .onFailure(FailureMode.DENY)
        .build();
  }

  private static boolean ipv6LoopbackBindable() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
      return socket.isBound();
    } catch (IOException e) {
      return false;
    }
  }
}
