package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.RateLimiter;
import io.lettuce.core.RedisConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store on a Redis Cluster of three masters whose default user requires a password and
 * which have an ACL user {@code alice} limited to keys under {@code alice:}. Decisions run on a
 * fake clock that does not move, so no window ends between requests.
 */
class RedisClusterAuthTest {

  private static final String PASSWORD = "cluster-secret";
  // Generous, so that a busy machine never turns a decision into a failure-mode decision.
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.FIXED_WINDOW, 3, Duration.ofHours(1)));

  private static RedisCluster cluster;

  private final FakeClock clock = new FakeClock(1_800_000_000_000_000_000L);

  @BeforeAll
  static void startCluster() {
    cluster = RedisCluster.startWithPassword(3, PASSWORD,
        "--user", "alice", "on", ">alice-pw", "~alice:*", "&*", "+@all");
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Test
  void tryAcquire_passwordInSeeds_admitsOnEveryMaster() {
    try (RedisStore store = store(cluster.seeds(":" + PASSWORD + "@")).build()) {
      RateLimiter limiter = RateLimiter.builder(POLICY).store(store).build();

      // A fixed window of 3 per hour admits 3 of 5 requests on each fresh key.
      List<Long> admitted = IntStream.range(0, 100)
          .mapToObj(user -> admitted(limiter, "password-user-" + user, 5))
          .toList();

      assertThat(admitted).hasSize(100).containsOnly(3L);
    }
    // 100 user keys spread over the slots of all three masters.
    assertThat(cluster.nodeCommands()).as("masters holding keys")
        .allSatisfy(master -> assertThat(master.keys("sluice:*")).isNotEmpty());
  }

  @Test
  void tryAcquire_aclUser_admitsLimitAndWritesOnlyAliceKeys() {
    try (RedisStore store = store(cluster.seeds("alice:alice-pw@"))
        .keyPrefix("alice")
        .build()) {
      RateLimiter limiter = RateLimiter.builder(POLICY).store(store).build();

      List<Long> admitted = IntStream.range(0, 30)
          .mapToObj(user -> admitted(limiter, "acl-user-" + user, 5))
          .toList();

      assertThat(admitted).hasSize(30).containsOnly(3L);
    }
    long aliceKeys = cluster.nodeCommands().stream()
        .mapToLong(master -> master.keys("alice:*").size())
        .sum();
    // One fixed-window hash per user key.
    assertThat(aliceKeys).isEqualTo(30);
  }

  @Test
  void build_wrongPassword_failsWithAuthentication() {
    String seeds = cluster.seeds(":not-the-secret@");

    assertThatThrownBy(() -> store(seeds).build())
        .isInstanceOf(RedisConnectionException.class)
        .hasMessageStartingWith("authentication failed for redis://***@" + hostList()
            + " (cluster): WRONGPASS")
        .hasMessageContaining("check the user name and password")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-secret"));
  }

  @Test
  void build_missingPassword_failsWithAuthentication() {
    assertThatThrownBy(() -> store(cluster.seeds()).build())
        .isInstanceOf(RedisConnectionException.class)
        .hasMessageStartingWith("authentication failed for redis://" + hostList()
            + " (cluster): NOAUTH");
  }

  @Test
  void build_aclUserWithWrongPassword_failsWithAuthentication() {
    assertThatThrownBy(() -> store(cluster.seeds("alice:wrong-pw@")).build())
        .isInstanceOf(RedisConnectionException.class)
        .hasMessageStartingWith("authentication failed for redis://***@" + hostList()
            + " (cluster): WRONGPASS")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-pw"));
  }

  /** Returns the nodes as {@code RedisStore.uri()} lists them, such as {@code 127.0.0.1:1,...}. */
  private static String hostList() {
    return cluster.seeds().substring("redis://".length());
  }

  private RedisStore.Builder store(String seeds) {
    return RedisStore.builder()
        .clusterSeeds(seeds)
        .commandTimeout(TIMEOUT)
        .onFailure(FailureMode.DENY)
        .timeMode(TimeMode.CLIENT)
        .timeSource(clock);
  }

  /** Makes {@code requests} decisions of cost 1 on one key and counts the admitted ones. */
  private static long admitted(RateLimiter limiter, String key, int requests) {
    return IntStream.range(0, requests)
        .filter(i -> limiter.tryAcquire(key, 1).allowed())
        .count();
  }
}
