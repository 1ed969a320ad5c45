package dev.sluice.server.config;

import dev.sluice.redis.FailureMode;
import dev.sluice.redis.RedisStore;
import dev.sluice.redis.TimeMode;
import io.lettuce.core.RedisURI;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;

/** Reads and checks the fields of a {@code store} of type {@code redis}. */
final class RedisConfigReader {

  private final NodeReader reader;

  RedisConfigReader(NodeReader reader) {
    this.reader = reader;
  }

  /**
   * Reads the fields of the store mapping {@code node}: at most one of {@code uri} and
   * {@code cluster}, and any of the others.
   *
   * @param overrideServers the defaults with the server or cluster that replaces the file's, as
   *     {@link StoreOverride#redisServers()} returns them. When empty, the store must name a
   *     {@code uri} or a {@code cluster}.
   */
  RedisConfig read(Node node, Map<String, Node> fields, Optional<RedisConfig> overrideServers) {
    RedisConfig defaults = readServers(node, fields, overrideServers);
    String keyPrefix = fields.containsKey("key_prefix")
        ? readKeyPrefix(fields.get("key_prefix"))
        : defaults.keyPrefix();
    Duration timeout = fields.containsKey("command_timeout")
        ? readTimeout(fields.get("command_timeout"))
        : defaults.commandTimeout();
    FailureMode onFailure = fields.containsKey("on_failure")
        ? readOnFailure(fields.get("on_failure"))
        : defaults.onFailure();
    int localShare = fields.containsKey("local_share")
        ? (int) reader.wholeNumber(fields.get("local_share"), "local_share", 1, Integer.MAX_VALUE)
        : defaults.localShare();
    TimeMode time = fields.containsKey("time")
        ? readTime(fields.get("time"))
        : defaults.timeMode();
    Optional<Path> tlsCaFile = fields.containsKey("tls_ca_file")
        ? Optional.of(readTlsCaFile(fields.get("tls_ca_file")))
        : defaults.tlsCaFile();
    Optional<String> sentinelPassword = fields.containsKey("sentinel_password")
        ? Optional.of(readSentinelPassword(fields.get("sentinel_password"), defaults))
        : defaults.sentinelPassword();
    boolean denyCache = fields.containsKey("deny_cache")
        ? reader.bool(fields.get("deny_cache"), "deny_cache")
        : defaults.denyCache();
    return new RedisConfig(defaults.uri(), defaults.cluster(), keyPrefix, timeout, onFailure,
        localShare, time, tlsCaFile, sentinelPassword, denyCache);
  }

  /**
   * Reads a {@code sentinel_password} and checks that the store's {@code uri} is a Sentinel
   * URI, the only kind whose sentinels receive it.
   */
  private String readSentinelPassword(Node node, RedisConfig servers) {
    String password = reader.text(node, "sentinel_password");
    boolean sentinels = servers.uri()
        .map(uri -> !RedisURI.create(uri).getSentinels().isEmpty())
        .orElse(false);
    if (!sentinels) {
      String target = servers.uri()
          .map(uri -> "uri '" + RedisStore.maskUserInfo(uri) + "'")
          .orElse("a cluster");
      throw reader.error(node, "sentinel_password needs a redis-sentinel:// or"
          + " rediss-sentinel:// uri, got " + target);
    }
    return password;
  }

  /**
   * Returns the defaults with the server of {@code uri} or the seeds of {@code cluster}, or
   * {@code overrideServers} when the store names neither.
   */
  private RedisConfig readServers(
      Node node, Map<String, Node> fields, Optional<RedisConfig> overrideServers) {
    Node uri = fields.get("uri");
    Node cluster = fields.get("cluster");
    if (uri != null && cluster != null) {
      Node later = NodeReader.line(uri) > NodeReader.line(cluster) ? uri : cluster;
      throw reader.error(later, "a store of type redis takes either uri or cluster, not both;"
          + " use uri for one server or Sentinel, cluster for the seeds of a Redis Cluster");
    }
    if (uri == null && cluster == null) {
      return overrideServers.orElseThrow(() -> reader.error(node, "a store of type redis is"
          + " missing the required field 'uri' or 'cluster'"));
    }
    return uri != null
        ? RedisConfig.defaults(readUri(uri))
        : RedisConfig.clusterDefaults(readCluster(cluster));
  }

  private List<String> readCluster(Node node) {
    List<Node> items = reader.items(node, "cluster");
    if (items.isEmpty()) {
      throw reader.error(node, "cluster must list at least one seed URI, such as"
          + " [redis://host1:7000, redis://host2:7000]");
    }
    List<String> seeds = new ArrayList<>();
    for (Node item : items) {
      seeds.add(reader.text(item, "a cluster seed"));
    }
    for (int i = 0; i < seeds.size(); i++) {
      try {
        ClusterSeeds.check(seeds, i);
      } catch (IllegalArgumentException e) {
        throw reader.error(items.get(i), e.getMessage());
      }
    }
    return seeds;
  }

  private String readUri(Node node) {
    String uri = reader.text(node, "uri");
    // Checked first, so that a password with an unencoded '/' gets advice, not a parse error.
    try {
      RedisConfig.checkServeUri(uri, "uri");
    } catch (IllegalArgumentException e) {
      throw reader.error(node, e.getMessage());
    }
    try {
      RedisURI.create(uri);
    } catch (IllegalArgumentException e) {
      String masked = RedisStore.maskUserInfo(uri);
      throw reader.error(node, "uri must be a Redis URI such as redis://host:6379, got '"
          + masked + "': " + RedisStore.uriProblem(uri, e));
    }
    if (ClusterSeeds.looksLikeSeeds(uri)) {
      throw reader.error(node, "uri must name one server or use redis-sentinel://, got '"
          + RedisStore.maskUserInfo(uri) + "'; for a Redis Cluster list the seeds under"
          + " cluster: instead");
    }
    return uri;
  }

  /**
   * Reads a {@code tls_ca_file}, resolved against the directory of the config file, and checks
   * that it is a readable PEM file of at least one certificate.
   */
  private Path readTlsCaFile(Node node) {
    String written = reader.text(node, "tls_ca_file");
    Path file;
    try {
      file = reader.resolve(written);
    } catch (InvalidPathException e) {
      throw reader.error(node, "tls_ca_file must be a file path, got '" + written + "': "
          + e.getReason());
    }
    if (!Files.isRegularFile(file)) {
      throw reader.error(node, "tls_ca_file must name an existing file, got '" + written
          + "'; a relative path is resolved against the directory of the config file");
    }
    if (!Files.isReadable(file)) {
      throw reader.error(node, "tls_ca_file must be a readable file, got '" + written
          + "' without read permission");
    }
    try {
      RedisStore.builder().trustedCertificates(file);
    } catch (IllegalArgumentException e) {
      throw reader.error(node, e.getMessage().replace("trustedCertificates", "tls_ca_file")
          .replace("'" + file + "'", "'" + written + "'"));
    }
    return file;
  }

  private String readKeyPrefix(Node node) {
    String prefix = reader.text(node, "key_prefix");
    try {
      RedisStore.builder().keyPrefix(prefix);
    } catch (IllegalArgumentException e) {
      throw reader.error(node, e.getMessage().replace("keyPrefix", "key_prefix"));
    }
    return prefix;
  }

  private Duration readTimeout(Node node) {
    Duration timeout = reader.duration(node, "command_timeout");
    if (timeout.isZero()) {
      throw reader.error(node,
          "command_timeout must be at least 1ms, got " + reader.text(node, "command_timeout"));
    }
    return timeout;
  }

  /** Reads an {@code on_failure} value, of the store or of a policy. */
  FailureMode readOnFailure(Node node) {
    String name = reader.text(node, "on_failure");
    for (FailureMode mode : FailureMode.values()) {
      if (mode.name().toLowerCase(Locale.ROOT).equals(name)) {
        return mode;
      }
    }
    throw reader.error(node, "unknown on_failure '" + MessageText.truncate(name)
        + "', expected deny, allow or local");
  }

  private TimeMode readTime(Node node) {
    String name = reader.text(node, "time");
    for (TimeMode mode : TimeMode.values()) {
      if (mode.name().toLowerCase(Locale.ROOT).equals(name)) {
        return mode;
      }
    }
    throw reader.error(node,
        "unknown time '" + MessageText.truncate(name) + "', expected server or client");
  }
}
