package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.RateLimiter;
import io.lettuce.core.RedisConnectionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store over TLS to a Redis Cluster and through Redis Sentinel, with a throwaway CA and a
 * server certificate for 127.0.0.1 made by {@code openssl}. Every node and the sentinel accept
 * only TLS, the cluster bus and replication run over TLS too, and the data nodes and the
 * sentinel require passwords. Decisions run on a fake clock that does not move.
 */
class RedisTlsTopologiesTest {

  private static final String PASSWORD = "tls-secret";
  private static final String SENTINEL_PASSWORD = "tls-sentinel-secret";
  // Generous, so that a busy machine never turns a decision into a failure-mode decision.
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.FIXED_WINDOW, 3, Duration.ofHours(1)));

  private static Path directory;
  private static TestCertificates certificates;
  private static RedisCluster cluster;
  private static SentinelGroup sentinelGroup;

  private final FakeClock clock = new FakeClock(1_800_000_000_000_000_000L);

  @BeforeAll
  static void startServers() throws Exception {
    directory = Files.createTempDirectory("sluice-tls-topologies");
    certificates = TestCertificates.create(directory);
    cluster = RedisCluster.startTls(3, certificates, PASSWORD);
    sentinelGroup = SentinelGroup.startTls(certificates, PASSWORD, SENTINEL_PASSWORD);
  }

  @AfterAll
  static void stopServers() throws Exception {
    if (sentinelGroup != null) {
      sentinelGroup.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    try (var files = Files.list(directory)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    }
    Files.delete(directory);
  }

  @Test
  void tryAcquire_tlsClusterWithCa_admitsOnEveryMaster() {
    try (RedisStore store = withTimeouts(RedisStore.builder()
        .clusterSeeds(cluster.seeds(":" + PASSWORD + "@"))
        .trustedCertificates(certificates.caCertificate()))
        .build()) {
      RateLimiter limiter = RateLimiter.builder(POLICY).store(store).build();

      // A fixed window of 3 per hour admits 3 of 5 requests on each fresh key.
      List<Long> admitted = IntStream.range(0, 100)
          .mapToObj(user -> admitted(limiter, "tls-user-" + user, 5))
          .toList();

      assertThat(admitted).hasSize(100).containsOnly(3L);
      assertThat(store.uri()).startsWith("rediss://***@127.0.0.1:");
    }
    // 100 user keys spread over the slots of all three masters.
    assertThat(cluster.nodeCommands()).as("masters holding keys")
        .allSatisfy(master -> assertThat(master.keys("sluice:*")).isNotEmpty());
  }

  @Test
  void build_tlsClusterWithoutCa_failsNamingHandshake() {
    String seeds = cluster.seeds(":" + PASSWORD + "@");

    assertThatThrownBy(() -> withTimeouts(RedisStore.builder().clusterSeeds(seeds)).build())
        .isInstanceOf(RedisConnectionException.class)
        .hasMessageStartingWith("TLS handshake with "
            + cluster.seeds("***@") + " (cluster) failed: ")
        .hasMessageContaining("trustedCertificates")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
  }

  @Test
  void tryAcquire_tlsSentinelWithCa_admitsLimit() {
    try (RedisStore store = withTimeouts(RedisStore.builder()
        .uri(sentinelUri())
        .sentinelPassword(SENTINEL_PASSWORD)
        .trustedCertificates(certificates.caCertificate()))
        .build()) {
      assertThat(admitted(RateLimiter.builder(POLICY).store(store).build(), "user-1", 5))
          .isEqualTo(3);
      assertThat(store.uri()).isEqualTo("rediss-sentinel://***@"
          + sentinelGroup.sentinelAddress(0) + "/0#mymaster");
    }
    assertThat(sentinelGroup.masterCommands().keys("sluice:{api:user-1}:*")).hasSize(1);
  }

  @Test
  void build_tlsSentinelWithoutCa_failsNamingHandshake() {
    String uri = sentinelUri();

    assertThatThrownBy(() -> withTimeouts(RedisStore.builder().uri(uri))
        .sentinelPassword(SENTINEL_PASSWORD)
        .build())
        .isInstanceOf(RedisConnectionException.class)
        .hasMessageStartingWith("TLS handshake with rediss-sentinel://***@"
            + sentinelGroup.sentinelAddress(0) + "/0#mymaster failed: ")
        .hasMessageContaining("trustedCertificates")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
  }

  private static String sentinelUri() {
    return "rediss-sentinel://:" + PASSWORD + "@" + sentinelGroup.sentinelAddress(0) + "/0#"
        + SentinelGroup.MASTER_NAME;
  }

  private RedisStore.Builder withTimeouts(RedisStore.Builder builder) {
    return builder
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
