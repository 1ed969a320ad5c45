package dev.sluice.server.config;

import dev.sluice.TimeSource;
import dev.sluice.redis.FailureMode;
import dev.sluice.redis.RedisStore;
import dev.sluice.redis.TimeMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The settings of a {@code store} of type {@code redis}; see {@link RedisStore.Builder} for
 * what each does. The store connects either to one server or Sentinel-managed master
 * ({@code uri}) or to a Redis Cluster ({@code cluster}), never both.
 *
 * @param uri the server, such as {@code redis://:password@host:6379/0}; empty for a cluster
 * @param cluster the seed nodes of a Redis Cluster, one URI each, as checked by
 *     {@link ClusterSeeds}; empty for a single server
 * @param keyPrefix the start of every key
 * @param commandTimeout the longest wait for the reply to a decision
 * @param onFailure how decisions are made while Redis fails, unless a policy sets its own
 * @param localShare the expected number of instances, for {@link FailureMode#LOCAL}
 * @param timeMode which clock decides
 * @param tlsCaFile a PEM file of the CA certificates that {@code rediss://} connections trust
 *     instead of the JDK's default trust store; empty for the default
 * @param sentinelPassword the password sent to each sentinel of a Sentinel {@code uri}, for
 *     sentinels with {@code requirepass}; empty for sentinels without one
 * @param denyCache whether each instance repeats a key's recent denial without calling Redis
 */
public record RedisConfig(
    Optional<String> uri, List<String> cluster, String keyPrefix, Duration commandTimeout,
    FailureMode onFailure, int localShare, TimeMode timeMode, Optional<Path> tlsCaFile,
    Optional<String> sentinelPassword, boolean denyCache) {

  /** The settings of {@code --redis URI} without a redis store in the config. */
  public static RedisConfig defaults(String uri) {
    return new RedisConfig(uri, "sluice", RedisStore.DEFAULT_COMMAND_TIMEOUT,
        FailureMode.ALLOW, 1, TimeMode.SERVER);
  }

  /**
   * Checks a server URI for {@code sluice serve}: what the store's builder checks (see
   * {@link RedisStore#checkUri}), and that it is no Unix socket URI ({@code redis-socket://}),
   * which needs Netty's native transport. The server's jar does not bundle it, and
   * {@code java -jar} takes no other class path.
   *
   * @param option the setting as the message names it, such as {@code --redis}
   * @throws IllegalArgumentException naming the URI with its credentials masked
   */
  public static void checkServeUri(String uri, String option) {
    RedisStore.checkUri(uri, option);
    String lower = uri.toLowerCase(Locale.ROOT);
    if (lower.startsWith("redis-socket:") || lower.startsWith("redis+socket:")) {
      throw new IllegalArgumentException(option + " cannot be a Unix socket URI in sluice"
          + " serve, got '" + RedisStore.maskUserInfo(uri) + "': the server has no native"
          + " transport for sockets, so give the Redis server's TCP address, such as"
          + " redis://127.0.0.1:6379");
    }
  }

  /** The settings of {@code --redis-cluster URI,URI,...} without a redis store in the config. */
  public static RedisConfig clusterDefaults(List<String> seeds) {
    return defaults("redis://127.0.0.1:6379").withCluster(seeds);
  }

  /**
   * Checks that no value is missing and that exactly one of {@code uri} and {@code cluster} is
   * given, and copies the seeds.
   */
  public RedisConfig {
    Objects.requireNonNull(uri, "uri");
    cluster = List.copyOf(cluster);
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    Objects.requireNonNull(onFailure, "onFailure");
    Objects.requireNonNull(timeMode, "timeMode");
    Objects.requireNonNull(tlsCaFile, "tlsCaFile");
    Objects.requireNonNull(sentinelPassword, "sentinelPassword");
    if (uri.isPresent() == !cluster.isEmpty()) {
      String present = uri.isPresent() ? "both" : "neither";
      throw new IllegalArgumentException(
          "a redis store takes either uri or cluster, got " + present);
    }
  }

  /**
   * Creates the settings of a store that trusts the JDK's default CA certificates, sends no
   * password to sentinels and has no deny cache.
   */
  public RedisConfig(
      Optional<String> uri, List<String> cluster, String keyPrefix, Duration commandTimeout,
      FailureMode onFailure, int localShare, TimeMode timeMode) {
    this(uri, cluster, keyPrefix, commandTimeout, onFailure, localShare, timeMode,
        Optional.empty(), Optional.empty(), false);
  }

  /** Creates the settings of a store on one server or Sentinel-managed master. */
  public RedisConfig(String uri, String keyPrefix, Duration commandTimeout,
      FailureMode onFailure, int localShare, TimeMode timeMode) {
    this(Optional.of(uri), List.of(), keyPrefix, commandTimeout, onFailure, localShare,
        timeMode);
  }

  /** Shows the settings with every user name and password replaced by {@code ***}. */
  @Override
  public String toString() {
    return "RedisConfig[uri=" + uri.map(RedisStore::maskUserInfo)
        + ", cluster=" + cluster.stream().map(RedisStore::maskUserInfo).toList()
        + ", keyPrefix=" + keyPrefix + ", commandTimeout=" + commandTimeout
        + ", onFailure=" + onFailure + ", localShare=" + localShare + ", timeMode=" + timeMode
        + ", tlsCaFile=" + tlsCaFile
        + ", sentinelPassword=" + sentinelPassword.map(password -> "***")
        + ", denyCache=" + denyCache + "]";
  }

  /** Returns these settings with another server instead of the server or cluster. */
  public RedisConfig withUri(String otherUri) {
    return new RedisConfig(Optional.of(otherUri), List.of(), keyPrefix, commandTimeout,
        onFailure, localShare, timeMode, tlsCaFile, sentinelPassword, denyCache);
  }

  /** Returns these settings with a Redis Cluster instead of the server or cluster. */
  public RedisConfig withCluster(List<String> seeds) {
    return new RedisConfig(Optional.empty(), seeds, keyPrefix, commandTimeout, onFailure,
        localShare, timeMode, tlsCaFile, sentinelPassword, denyCache);
  }

  /** Returns these settings with connections over TLS trusting the CA certificates in a file. */
  public RedisConfig withTlsCaFile(Path caFile) {
    return new RedisConfig(uri, cluster, keyPrefix, commandTimeout, onFailure, localShare,
        timeMode, Optional.of(caFile), sentinelPassword, denyCache);
  }

  /**
   * Returns the cluster seeds for logs, separated by commas, with any user name and password
   * replaced by {@code ***}.
   */
  public String maskedCluster() {
    return cluster.stream().map(RedisStore::maskUserInfo).collect(Collectors.joining(","));
  }

  /**
   * Connects a store with these settings.
   *
   * @throws io.lettuce.core.RedisException if Redis cannot be reached
   * @throws IllegalStateException if a sentinel password is set but the store does not
   *     connect through sentinels, such as after {@code --redis redis://...}
   */
  public RedisStore newStore(TimeSource timeSource) {
    RedisStore.Builder builder = RedisStore.builder();
    if (uri.isPresent()) {
      builder.uri(uri.get());
    } else {
      builder.clusterSeeds(cluster);
    }
    tlsCaFile.ifPresent(builder::trustedCertificates);
    sentinelPassword.ifPresent(builder::sentinelPassword);
    return builder
        .keyPrefix(keyPrefix)
        .commandTimeout(commandTimeout)
        .onFailure(onFailure)
        .localShare(localShare)
        .timeMode(timeMode)
        .timeSource(timeSource)
        .denyCache(denyCache)
        .build();
  }
}
