package dev.sluice.server.config;

import dev.sluice.redis.RedisStore;
import io.lettuce.core.RedisURI;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Checks and joins the seed nodes of a Redis Cluster written one URI per node, such as
 * {@code [redis://:secret@10.0.0.1:7000, redis://:secret@10.0.0.2:7000]}.
 *
 * <p>{@link RedisStore.Builder#clusterSeeds(String)} takes one URI with a host list, such as
 * {@code redis://:secret@10.0.0.1:7000,10.0.0.2:7000}, which carries one scheme, one password
 * and one set of options for every node. So the seeds may differ only in host and port, and
 * each must name one node of database 0, the only database of a cluster. That URI cannot carry
 * an IPv6 address in its host list, so a seed names its node by host name or IPv4 address.
 */
public final class ClusterSeeds {

  private ClusterSeeds() {}

  /**
   * Joins seeds into the one URI that {@link RedisStore.Builder#clusterSeeds(String)} takes.
   *
   * @throws IllegalArgumentException if there is no seed or a seed fails {@link #check}
   */
  public static String join(List<String> seeds) {
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("a cluster needs at least one seed URI, got none");
    }
    for (int i = 0; i < seeds.size(); i++) {
      check(seeds, i);
    }
    URI first = URI.create(seeds.get(0));
    String nodes = seeds.stream()
        .map(seed -> hostAndPort(URI.create(seed)))
        .collect(Collectors.joining(","));
    String userInfo = first.getRawUserInfo() == null ? "" : first.getRawUserInfo() + "@";
    String query = first.getRawQuery() == null ? "" : "?" + first.getRawQuery();
    return first.getScheme() + "://" + userInfo + nodes + query;
  }

  /**
   * Checks the seed at {@code index}: a {@code redis://} or {@code rediss://} URI of one node,
   * named by host name or IPv4 address, and of database 0, that differs from the first seed
   * only in host and port.
   *
   * @throws IllegalArgumentException naming the seed, with any password replaced by
   *     {@code ***}, and the rule it breaks
   */
  static void check(List<String> seeds, int index) {
    String seed = seeds.get(index);
    String masked = RedisStore.maskUserInfo(seed);
    RedisURI parsed = parse(seed, masked);
    URI uri = URI.create(seed);
    if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
      throw new IllegalArgumentException("a cluster seed must start with redis:// or rediss://,"
          + " got '" + masked + "'");
    }
    if (uri.getHost() == null || parsed.getHost() == null || parsed.getHost().contains(",")) {
      throw new IllegalArgumentException("a cluster seed must name one node, such as"
          + " redis://host:7000, got '" + masked + "'; list each node as a seed of its own");
    }
    if (uri.getHost().startsWith("[")) {
      throw new IllegalArgumentException("a cluster seed must name its node by host name or IPv4"
          + " address, got '" + masked + "'; the seed list cannot carry IPv6 addresses");
    }
    if (parsed.getDatabase() != 0) {
      throw new IllegalArgumentException("a Redis Cluster has only database 0, got '" + masked
          + "'");
    }
    if (!sameExceptHostAndPort(uri, URI.create(seeds.get(0)))) {
      throw new IllegalArgumentException("cluster seeds may differ only in host and port, but '"
          + masked + "' differs from the first seed '"
          + RedisStore.maskUserInfo(seeds.get(0)) + "' in scheme, credentials or options");
    }
  }

  private static RedisURI parse(String seed, String masked) {
    try {
      return RedisURI.create(seed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a cluster seed must be a Redis URI such as"
          + " redis://host:7000, got '" + masked + "': "
          + String.valueOf(e.getMessage()).replace(seed, masked));
    }
  }

  private static boolean sameExceptHostAndPort(URI seed, URI first) {
    return Objects.equals(seed.getScheme(), first.getScheme())
        && Objects.equals(seed.getRawUserInfo(), first.getRawUserInfo())
        && Objects.equals(seed.getRawQuery(), first.getRawQuery());
  }

  private static String hostAndPort(URI seed) {
    int port = seed.getPort() == -1 ? RedisURI.DEFAULT_REDIS_PORT : seed.getPort();
    return seed.getHost() + ":" + port;
  }
}
