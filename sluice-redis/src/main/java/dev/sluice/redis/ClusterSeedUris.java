package dev.sluice.redis;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Parses and checks the seed nodes of a Redis Cluster, each written as a URI of its own, such
 * as {@code redis://:secret@10.0.0.1:7000} or {@code redis://:secret@[2001:db8::1]:7000}.
 *
 * <p>Each seed must be a {@code redis://} or {@code rediss://} URI of one node and of database
 * 0, the only database of a cluster. The seeds may differ only in host and port. Lettuce 6.8.1
 * connects to every node of the cluster with the credentials and timeout of the first seed,
 * and requires all seeds to agree on TLS, so a password that only a later seed carries is not
 * used for the other nodes: commands to their slots fail with {@code WRONGPASS}.
 */
final class ClusterSeedUris {

  /**
   * The timeout of a seed that sets none, in place of Lettuce's 60 s. Lettuce bounds each
   * connection to a node by it, including those of every reload of the slot map. With 60 s, a
   * master that hung rather than refusing connections held up the move of its slots to the
   * replica that took over for a minute, and a store that started meanwhile waited as long.
   */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private ClusterSeedUris() {}

  /**
   * Parses each seed with {@link RedisURI#create(String)} and checks it.
   *
   * @throws IllegalArgumentException naming the first bad seed, with any user name and
   *     password replaced by {@code ***}, and the rule it breaks
   */
  static List<RedisURI> parse(List<String> seeds) {
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("a cluster needs at least one seed URI, got none");
    }
    String first = Objects.requireNonNull(seeds.get(0), "seed");
    List<RedisURI> parsed = new ArrayList<>();
    for (String seed : seeds) {
      RedisURI uri = parseSeed(Objects.requireNonNull(seed, "seed"), first);
      if (UriChecks.timeoutOptions(seed).isEmpty()) {
        uri.setTimeout(DEFAULT_TIMEOUT);
      }
      parsed.add(uri);
    }
    return List.copyOf(parsed);
  }

  /**
   * Splits one URI with a comma-separated host list, such as
   * {@code redis://:secret@host1:7000,host2:7001?timeout=1s}, into one URI per host with the
   * scheme, credentials, path and options of the whole. Such a list cannot carry an IPv6
   * address, which is written in brackets.
   *
   * @throws IllegalArgumentException if the text is not a URI with an authority
   */
  static List<String> split(String seeds) {
    URI uri;
    try {
      uri = URI.create(seeds);
    } catch (IllegalArgumentException e) {
      throw notAHostList(seeds);
    }
    if (uri.getScheme() == null || uri.getRawAuthority() == null) {
      throw notAHostList(seeds);
    }
    if (uri.getRawFragment() != null) {
      throw new IllegalArgumentException("clusterSeeds has a fragment (#...) in '"
          + RedisStore.maskUserInfo(seeds) + "', which Lettuce does not read; remove it");
    }
    String authority = uri.getRawAuthority();
    int at = authority.lastIndexOf('@');
    String prefix = uri.getScheme() + "://" + authority.substring(0, at + 1);
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String suffix = path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    return Arrays.stream(authority.substring(at + 1).split(",", -1))
        .map(host -> prefix + host + suffix)
        .toList();
  }

  /**
   * Returns the error for seeds that are not one URI with a host list. The parser's exception is
   * not kept as the cause, because its message repeats the text with any password.
   */
  private static IllegalArgumentException notAHostList(String seeds) {
    String ipv6Hint = seeds.contains("[")
        ? "; a host list cannot carry an IPv6 address, so pass one URI per seed as a list"
        : "";
    return new IllegalArgumentException("clusterSeeds must be a URI such as"
        + " redis://host1:6379,host2:6379, got '" + RedisStore.maskUserInfo(seeds) + "'"
        + ipv6Hint);
  }

  private static RedisURI parseSeed(String seed, String first) {
    String masked = RedisStore.maskUserInfo(seed);
    UriChecks.check(seed, "a cluster seed", "redis:// or rediss://");
    RedisURI parsed = create(seed, masked);
    URI uri = URI.create(seed);
    checkScheme(uri, masked);
    checkOneNode(uri, parsed, masked);
    if (parsed.getDatabase() != 0) {
      throw new IllegalArgumentException("a Redis Cluster has only database 0, got '" + masked
          + "'");
    }
    checkSameAsFirst(uri, URI.create(first), masked);
    parsed.setHost(withoutBrackets(parsed.getHost()));
    return parsed;
  }

  private static RedisURI create(String seed, String masked) {
    try {
      URI.create(seed);
      return RedisURI.create(seed);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException("a cluster seed must be a Redis URI such as"
          + " redis://host:7000, got '" + masked + "': " + RedisStore.uriProblem(seed, e));
    }
  }

  private static void checkScheme(URI uri, String masked) {
    if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
      throw new IllegalArgumentException("a cluster seed must start with redis:// or rediss://,"
          + " got '" + masked + "'");
    }
  }

  /** Rejects a host list, which {@link URI} reads as an authority without a host. */
  private static void checkOneNode(URI uri, RedisURI parsed, String masked) {
    if (uri.getHost() == null || parsed.getHost() == null || parsed.getHost().contains(",")) {
      throw new IllegalArgumentException("a cluster seed must name one node, such as"
          + " redis://host:7000, got '" + masked + "'; list each node as a seed of its own");
    }
  }

  private static void checkSameAsFirst(URI seed, URI first, String masked) {
    boolean same = Objects.equals(seed.getScheme(), first.getScheme())
        && Objects.equals(seed.getRawUserInfo(), first.getRawUserInfo())
        && Objects.equals(seed.getRawQuery(), first.getRawQuery());
    if (!same) {
      throw new IllegalArgumentException("cluster seeds may differ only in host and port, but '"
          + masked + "' differs from the first seed '"
          + RedisStore.maskUserInfo(first.toString()) + "' in scheme, credentials or options;"
          + " every node is reached with the first seed's credentials and options");
    }
  }

  /**
   * Removes the brackets around an IPv6 address, which {@link RedisURI#create(String)} keeps in
   * the host, so that the host is the bare address, as Redis writes it in the slot map.
   */
  private static String withoutBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]")
        ? host.substring(1, host.length() - 1)
        : host;
  }
}
