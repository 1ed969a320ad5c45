package dev.sluice.server.config;

import dev.sluice.redis.RedisStore;
import io.lettuce.core.RedisURI;
import java.util.List;

/**
 * Checks the seed nodes of a Redis Cluster written one URI per node, such as
 * {@code [redis://:secret@10.0.0.1:7000, redis://:secret@[2001:db8::1]:7000]}, by the rules of
 * {@link RedisStore.Builder#clusterSeeds(List)}, without connecting: each seed is a
 * {@code redis://} or {@code rediss://} URI of one node, named by host name, IPv4 or IPv6
 * address, and of database 0. The seeds may differ only in host and port, because the client
 * connects to every node with the credentials and timeout of the first seed.
 */
public final class ClusterSeeds {

  private ClusterSeeds() {}

  /**
   * Checks all seeds.
   *
   * @throws IllegalArgumentException if there is no seed, or naming the first bad seed, with
   *     any password replaced by {@code ***}, and the rule it breaks
   */
  public static void check(List<String> seeds) {
    RedisStore.builder().clusterSeeds(seeds);
  }

  /**
   * Returns whether a valid Redis URI lists several hosts without being a Sentinel URI, such as
   * {@code redis://10.0.0.1:7000,10.0.0.2:7000}: the form of a cluster's seeds written as one
   * server URI, which the store rejects.
   */
  public static boolean looksLikeSeeds(String uri) {
    String host = RedisURI.create(uri).getHost();
    return host != null && host.contains(",");
  }

  /**
   * Checks the seed at {@code index} on its own and against the first seed, so that a config
   * error can point at the line of that seed.
   *
   * @throws IllegalArgumentException naming the seed, with any password replaced by
   *     {@code ***}, and the rule it breaks
   */
  static void check(List<String> seeds, int index) {
    List<String> checked = index == 0
        ? List.of(seeds.get(0))
        : List.of(seeds.get(0), seeds.get(index));
    check(checked);
  }
}
