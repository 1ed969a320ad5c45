package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.redis.RedisStore;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterSeedsTest {

  @Test
  void join_seedsWithPassword_keepPasswordOnce() {
    String joined = ClusterSeeds.join(
        List.of("redis://:secret@127.0.0.1:7000", "redis://:secret@127.0.0.1:7001"));

    assertThat(joined).isEqualTo("redis://:secret@127.0.0.1:7000,127.0.0.1:7001");
  }

  @Test
  void join_seedWithoutPort_usesTheRedisPort() {
    String joined = ClusterSeeds.join(List.of("redis://10.0.0.1", "redis://10.0.0.2:7001/0"));

    assertThat(joined).isEqualTo("redis://10.0.0.1:6379,10.0.0.2:7001");
  }

  @Test
  void join_tlsSeedsWithOptions_keepBoth() {
    String joined = ClusterSeeds.join(
        List.of("rediss://h1:7000?timeout=5s", "rediss://h2:7000?timeout=5s"));

    assertThat(joined).isEqualTo("rediss://h1:7000,h2:7000?timeout=5s");
  }

  @Test
  void join_result_isAcceptedByTheStoreBuilder() {
    String joined = ClusterSeeds.join(
        List.of("redis://user:secret@127.0.0.1:7000", "redis://user:secret@localhost:7001"));

    assertThatCode(() -> RedisStore.builder().clusterSeeds(joined)).doesNotThrowAnyException();
  }

  @Test
  void join_ipv6Seed_isRejected() {
    List<String> seeds = List.of("redis://127.0.0.1:7000", "redis://[::1]:7001");

    assertThatThrownBy(() -> ClusterSeeds.join(seeds))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster seed must name its node by host name or IPv4 address, got"
            + " 'redis://[::1]:7001'; the seed list cannot carry IPv6 addresses");
  }

  @Test
  void join_noSeed_isRejected() {
    assertThatThrownBy(() -> ClusterSeeds.join(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster needs at least one seed URI, got none");
  }

  @Test
  void join_seedWithoutScheme_namesTheSeed() {
    assertThatThrownBy(() -> ClusterSeeds.join(List.of("redis://127.0.0.1:7000", "h2:7001")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("a cluster seed must be a Redis URI such as redis://host:7000,"
            + " got 'h2:7001': ");
  }

  @Test
  void join_otherUserName_masksBothSeeds() {
    List<String> seeds = List.of("redis://alice:pw@h1:7000", "redis://bob:pw@h2:7000");

    assertThatThrownBy(() -> ClusterSeeds.join(seeds))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cluster seeds may differ only in host and port, but 'redis://***@h2:7000'"
            + " differs from the first seed 'redis://***@h1:7000' in scheme, credentials or"
            + " options");
  }

  @Test
  void maskedCluster_seedsWithPassword_hidesIt() {
    RedisConfig config = RedisConfig.clusterDefaults(
        List.of("redis://:secret@127.0.0.1:7000", "redis://:secret@127.0.0.1:7001"));

    assertThat(config.maskedCluster())
        .isEqualTo("redis://***@127.0.0.1:7000,redis://***@127.0.0.1:7001");
  }
}
