package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterSeedsTest {

  @Test
  void check_ipv6Seeds_areAccepted() {
    List<String> seeds = List.of("redis://[::1]:7000", "redis://[2001:db8::1]:7001",
        "redis://127.0.0.1:7002");

    assertThatCode(() -> ClusterSeeds.check(seeds)).doesNotThrowAnyException();
  }

  @Test
  void check_tlsSeedsWithOptions_areAccepted() {
    List<String> seeds = List.of("rediss://user:secret@[::1]:7000?timeout=5s",
        "rediss://user:secret@h2:7000?timeout=5s");

    assertThatCode(() -> ClusterSeeds.check(seeds)).doesNotThrowAnyException();
  }

  @Test
  void check_noSeed_isRejected() {
    assertThatThrownBy(() -> ClusterSeeds.check(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster needs at least one seed URI, got none");
  }

  @Test
  void check_seedWithoutScheme_namesTheSeed() {
    assertThatThrownBy(() -> ClusterSeeds.check(List.of("redis://127.0.0.1:7000", "h2:7001")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster seed must be a Redis URI such as redis://host:6379, got"
            + " 'h2:7001': it does not start with a scheme, so start it with redis:// or"
            + " rediss://");
  }

  @Test
  void check_otherUserName_masksBothSeeds() {
    List<String> seeds = List.of("redis://alice:pw@h1:7000", "redis://bob:pw@[::1]:7000");

    assertThatThrownBy(() -> ClusterSeeds.check(seeds))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cluster seeds may differ only in host and port, but 'redis://***@[::1]:7000'"
            + " differs from the first seed 'redis://***@h1:7000' in scheme, credentials or"
            + " options; every node is reached with the first seed's credentials and options");
  }

  @Test
  void check_laterSeed_checkedAlone() {
    List<String> seeds = List.of("redis://h1:7000", "redis://h2:7000/3", "redis://[::1]:7000");

    assertThatCode(() -> ClusterSeeds.check(seeds, 2)).doesNotThrowAnyException();
    assertThatThrownBy(() -> ClusterSeeds.check(seeds, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a Redis Cluster has only database 0, got 'redis://h2:7000/3'");
  }

  @Test
  void maskedCluster_seedsWithPassword_hidesIt() {
    RedisConfig config = RedisConfig.clusterDefaults(
        List.of("redis://:secret@127.0.0.1:7000", "redis://:secret@[::1]:7001"));

    assertThat(config.maskedCluster())
        .isEqualTo("redis://***@127.0.0.1:7000,redis://***@[::1]:7001");
  }
}
