package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parsing and checks of cluster seed URIs, which need no server. */
class ClusterSeedUrisTest {

  @Test
  void parse_ipv6Seeds_keepBareAddressAndPort() {
    List<RedisURI> seeds = ClusterSeedUris.parse(
        List.of("redis://[::1]:7000", "redis://[2001:db8::7]:7001", "redis://127.0.0.1:7002"));

    assertThat(seeds).extracting(RedisURI::getHost)
        .containsExactly("::1", "2001:db8::7", "127.0.0.1");
    assertThat(seeds).extracting(RedisURI::getPort).containsExactly(7000, 7001, 7002);
  }

  @Test
  void parse_seedsWithPassword_eachCarriesIt() {
    List<RedisURI> seeds = ClusterSeedUris.parse(
        List.of("rediss://user:secret@[::1]:7000", "rediss://user:secret@h2:7001"));

    assertThat(seeds).allSatisfy(seed -> {
      assertThat(seed.getUsername()).isEqualTo("user");
      assertThat(seed.getPassword()).containsExactly('s', 'e', 'c', 'r', 'e', 't');
      assertThat(seed.isSsl()).isTrue();
    });
  }

  @Test
  void parse_seedWithoutPort_usesTheRedisPort() {
    List<RedisURI> seeds = ClusterSeedUris.parse(List.of("redis://10.0.0.1", "redis://[::1]"));

    assertThat(seeds).extracting(RedisURI::getPort).containsExactly(6379, 6379);
  }

  @Test
  void parse_seedWithoutTimeout_getsFiveSeconds() {
    List<RedisURI> without = ClusterSeedUris.parse(List.of("redis://10.0.0.1:7000"));
    List<RedisURI> with = ClusterSeedUris.parse(List.of("redis://10.0.0.1:7000?TIMEOUT=2s"));

    assertThat(without.get(0).getTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(with.get(0).getTimeout()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void parse_noSeed_throws() {
    assertThatThrownBy(() -> ClusterSeedUris.parse(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster needs at least one seed URI, got none");
  }

  @Test
  void parse_seedWithoutScheme_namesTheSeed() {
    assertThatThrownBy(() -> ClusterSeedUris.parse(List.of("redis://127.0.0.1:7000", "h2:7001")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster seed must be a Redis URI such as redis://host:6379, got"
            + " 'h2:7001': it does not start with a scheme, so start it with redis:// or"
            + " rediss://");
  }

  @Test
  void parse_sentinelSeed_throws() {
    assertThatThrownBy(() -> ClusterSeedUris.parse(List.of("redis-sentinel://:pw@s1:26379#m")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster seed must start with redis:// or rediss://, got"
            + " 'redis-sentinel://***@s1:26379#m'");
  }

  @Test
  void parse_seedOfTwoNodes_throws() {
    assertThatThrownBy(() -> ClusterSeedUris.parse(List.of("redis://h1:7000,h2:7001")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a cluster seed must name one node, such as redis://host:7000, got"
            + " 'redis://h1:7000,h2:7001'; list each node as a seed of its own");
  }

  @Test
  void parse_seedOfDatabaseTwo_throws() {
    assertThatThrownBy(() -> ClusterSeedUris.parse(List.of("redis://:pw@[::1]:7000/2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a Redis Cluster has only database 0, got 'redis://***@[::1]:7000/2'");
  }

  @Test
  void parse_otherPassword_throwsAndMasksBothSeeds() {
    List<String> seeds = List.of("redis://:one@[::1]:7000", "redis://:two@[::1]:7001");

    assertThatThrownBy(() -> ClusterSeedUris.parse(seeds))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cluster seeds may differ only in host and port, but 'redis://***@[::1]:7001'"
            + " differs from the first seed 'redis://***@[::1]:7000' in scheme, credentials or"
            + " options; every node is reached with the first seed's credentials and options")
        .hasMessageNotContaining("one")
        .hasMessageNotContaining("two");
  }

  @Test
  void parse_otherScheme_throws() {
    List<String> seeds = List.of("rediss://h1:7000", "redis://h2:7000");

    assertThatThrownBy(() -> ClusterSeedUris.parse(seeds))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("cluster seeds may differ only in host and port, but"
            + " 'redis://h2:7000' differs from the first seed 'rediss://h1:7000'");
  }

  @Test
  void split_hostList_givesOneSeedPerHost() {
    List<String> seeds = ClusterSeedUris.split("redis://:secret@h1:7000,h2,h3:7002/0?timeout=5s");

    assertThat(seeds).containsExactly("redis://:secret@h1:7000/0?timeout=5s",
        "redis://:secret@h2/0?timeout=5s", "redis://:secret@h3:7002/0?timeout=5s");
  }

  @Test
  void split_notAUri_throwsWithMaskedValue() {
    assertThatThrownBy(() -> ClusterSeedUris.split("redis://:secret@a b:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("clusterSeeds must be a URI such as redis://host1:6379,host2:6379, got"
            + " 'redis://***@a b:1'");
  }

  @Test
  void split_ipv6HostList_throws() {
    assertThatThrownBy(() -> ClusterSeedUris.split("redis://:secret@[::1]:7000,[::1]:7001"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("clusterSeeds must be a URI such as redis://host1:6379,host2:6379, got"
            + " 'redis://***@[::1]:7000,[::1]:7001'; a host list cannot carry an IPv6 address,"
            + " so pass one URI per seed as a list");
  }

  @Test
  void clusterSeeds_hostListOfDatabaseThree_throws() {
    assertThatThrownBy(() -> RedisStore.builder().clusterSeeds("redis://h1:7000,h2:7001/3"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a Redis Cluster has only database 0, got 'redis://h1:7000/3'");
  }

  @Test
  void maskSeeds_ipv6Seeds_bracketsAddresses() {
    List<RedisURI> seeds = ClusterSeedUris.parse(
        List.of("redis://:secret@[::1]:7000", "redis://:secret@127.0.0.1:7001"));

    assertThat(RedisStore.maskSeeds(seeds))
        .isEqualTo("redis://***@[::1]:7000,127.0.0.1:7001 (cluster)");
  }
}
