package dev.sluice.server.cli;

import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.internal.Durations;
import dev.sluice.redis.FailureMode;
import dev.sluice.redis.RedisStore;
import dev.sluice.server.config.ClusterSeeds;
import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.MessageText;
import dev.sluice.server.config.RedisConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.config.StoreConfig;
import dev.sluice.server.config.StoreOverride;
import dev.sluice.server.http.SluiceServer;
import dev.sluice.store.RateLimitStore;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import java.math.BigInteger;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sluice serve}: loads the config, starts the HTTP check API and runs until the process
 * is asked to stop (SIGTERM or Ctrl-C), then stops gracefully.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Serve the HTTP check API (POST /v1/check) for the policies of a config.")
public final class ServeCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  /** How many policies the start-up and reload lines describe; GET /v1/policies lists all. */
  static final int MAX_DESCRIBED_POLICIES = 20;

  @Spec
  private CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE",
      description = "YAML config with the store and the policies; without it, the embedded"
          + " default config.")
  private Path config;

  @Option(names = "--port", defaultValue = "8080", converter = PortConverter.class,
      description = "TCP port to listen on, 0 for any free port (default: ${DEFAULT-VALUE}).")
  private int port;

  @Option(names = "--host", defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}); 0.0.0.0 for all IPv4"
          + " interfaces.")
  private String host;

  // Each example URI is a line of its own, so that the 80-column help never splits it. Picocli
  // 4.7.7 wraps a long line after a '.' or ':' as well as at spaces.
  @Option(names = "--redis", paramLabel = "URI",
      description = {
        "Keep the state in Redis at this URI instead of the config's store, such as:",
        "  redis://127.0.0.1:6379",
        "Other Redis settings come from a redis store in the config, or are the defaults."
      })
  private String redis;

  @Option(names = "--redis-cluster", paramLabel = "URI", split = ",",
      description = {
        "Keep the state in the Redis Cluster reached through these seed nodes instead of the"
            + " config's store, URIs separated by commas such as:",
        "  redis://127.0.0.1:7000,redis://127.0.0.1:7001",
        "Other Redis settings as for --redis. Not together with --redis."
      })
  private List<String> redisCluster;

  @Override
  public Integer call() throws InterruptedException {
    SluiceService service;
    try {
      service = start();
    } catch (ConfigException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return 2;
    } catch (ParameterException e) {
      throw e;
    } catch (StoreStartException e) {
      printError("sluice serve failed to start its store: " + describe(e.getCause()));
      return 1;
    } catch (Exception e) {
      printError("sluice serve failed to start on " + host + ":" + port + ": " + describe(e)
          + (isPortInUse(e) ? "; stop what uses the port, or choose another with --port" : ""));
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stopped.countDown();
    }, "sluice-shutdown"));
    stopped.await();
    return 0;
  }

  /**
   * Prints a start-up failure as one line, escaped because it quotes option values and messages
   * of other libraries, such as a Redis URI.
   */
  private void printError(String message) {
    spec.commandLine().getErr().println(MessageText.escape(message));
  }

  /**
   * Loads the config and starts the service without waiting for it to stop, for {@link #call()}
   * and for tests that run the service in-process.
   *
   * @throws ConfigException if the config is invalid
   * @throws ParameterException if an option is out of range
   * @throws StoreStartException if the store cannot start, such as when Redis is unreachable
   * @throws Exception if the server cannot start, such as when the port is taken
   */
  public SluiceService start() throws Exception {
    checkOptions();
    StoreOverride storeOverride = redisOptionsOverride();
    SluiceConfig loaded = config == null
        ? ConfigLoader.loadDefault(storeOverride)
        : ConfigLoader.load(config, storeOverride);
    StoreConfig storeConfig = loaded.store();
    List<Policy> policies = List.copyOf(loaded.policies().values());
    RateLimitStore store;
    try {
      store = storeConfig.newStore(TimeSource.system());
    } catch (RuntimeException e) {
      throw new StoreStartException(e);
    }
    SluiceServer server;
    try {
      server = SluiceServer.start(policies, loaded.failureModes(), store, host, port);
    } catch (Exception e) {
      store.close();
      throw e;
    }
    SluiceService service =
        new SluiceService(server, store, config, storeConfig, storeOverride);
    LOG.info("started address={} {} config={} policies=\"{}\"", server.address(),
        describe(storeConfig, store), config == null ? ConfigLoader.DEFAULT_RESOURCE : config,
        describe(policies, loaded.failureModes(), storeConfig));
    storeConfig.redis().ifPresent(redis -> warnIfCaFileUnused(redis, store));
    return service;
  }

  /** Checks the options that picocli cannot check by itself, before any file is read. */
  private void checkOptions() {
    if (config != null && config.toString().isEmpty()) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--config':"
          + " must be the path of a YAML file, got an empty value");
    }
    if (host.isBlank()) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--host': must"
          + " be an IP address or a host name, such as 127.0.0.1 or 0.0.0.0, got an empty value");
    }
    try {
      InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--host': must"
          + " be an IP address or a host name that resolves, such as 127.0.0.1 or 0.0.0.0, got '"
          + host + "'");
    }
    if (redis != null && redisCluster != null) {
      throw new ParameterException(spec.commandLine(), "Options '--redis' and '--redis-cluster'"
          + " cannot be combined: use --redis for one server or Sentinel, --redis-cluster for"
          + " a Redis Cluster");
    }
    if (redis != null) {
      checkRedisOption();
    }
    if (redisCluster != null) {
      checkRedisClusterOption();
    }
  }

  /** Returns whether starting failed because another process listens on the port. */
  private static boolean isPortInUse(Throwable error) {
    // The depth bound ends a cycle of causes, which Throwable does not prevent.
    Throwable cause = error;
    for (int depth = 0; cause != null && depth < 16; depth++) {
      if (cause instanceof BindException) {
        return true;
      }
      cause = cause.getCause();
    }
    return false;
  }

  private void checkRedisOption() {
    String masked = RedisStore.maskUserInfo(redis);
    // Checked first, so that a password with an unencoded '/' gets advice, not a parse error.
    try {
      RedisConfig.checkServeUri(redis, "--redis");
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--redis': "
          + e.getMessage());
    }
    try {
      RedisURI.create(redis);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--redis':"
          + " must be a Redis URI such as redis://127.0.0.1:6379, got '" + masked + "': "
          + RedisStore.uriProblem(redis, e));
    }
    if (ClusterSeeds.looksLikeSeeds(redis)) {
      throw new ParameterException(spec.commandLine(), "Invalid value for option '--redis':"
          + " must name one server or use redis-sentinel://, got '" + masked + "'; for a"
          + " Redis Cluster use --redis-cluster, or cluster: in the config's redis store");
    }
  }

  private void checkRedisClusterOption() {
    try {
      ClusterSeeds.check(redisCluster);
    } catch (IllegalArgumentException e) {
      // The option splits at commas, so the host list form of a URI arrives in pieces.
      boolean pieces = redisCluster.stream()
          .anyMatch(seed -> !seed.isBlank() && !seed.contains("://"));
      throw new ParameterException(spec.commandLine(),
          "Invalid value for option '--redis-cluster': " + e.getMessage() + (pieces
              ? "; the option splits at commas, so give each seed its own scheme, such as"
                  + " redis://10.0.0.1:7000,redis://10.0.0.2:7000"
              : ""));
    }
  }

  /** Returns the override of the config's store by {@code --redis} or {@code --redis-cluster}. */
  private StoreOverride redisOptionsOverride() {
    return new StoreOverride() {
      @Override
      public StoreConfig apply(StoreConfig fromFile) {
        return withRedisOptions(fromFile);
      }

      @Override
      public Optional<RedisConfig> redisServers() {
        return redisOptionDefaults();
      }
    };
  }

  /**
   * Returns the default Redis settings with the server of {@code --redis} or the seeds of
   * {@code --redis-cluster}, or empty when neither option is given.
   */
  private Optional<RedisConfig> redisOptionDefaults() {
    if (redis != null) {
      return Optional.of(RedisConfig.defaults(redis));
    }
    if (redisCluster != null) {
      return Optional.of(RedisConfig.clusterDefaults(redisCluster));
    }
    return Optional.empty();
  }

  /**
   * Applies {@code --redis} or {@code --redis-cluster} to the store settings of the config: a
   * Redis store at that URI or cluster, keeping the other Redis settings of the config. A
   * memory store with settings of its own gets a warning, because those settings then do not
   * apply, and a cap on keys may be what the config relies on.
   */
  private StoreConfig withRedisOptions(StoreConfig fromFile) {
    if ((redis != null || redisCluster != null) && fromFile.redis().isEmpty()
        && !fromFile.equals(StoreConfig.DEFAULT)) {
      String option = redis != null ? "--redis" : "--redis-cluster";
      LOG.warn("the config's memory store settings max_keys={} at_capacity={} do not apply,"
          + " because {} keeps the state in Redis; remove them from the config, or serve"
          + " without {}", fromFile.maxKeys(), fromFile.atCapacityName(), option, option);
    }
    if (redis != null) {
      return StoreConfig.redis(fromFile.redis()
          .map(r -> r.withUri(redis))
          .orElseGet(() -> RedisConfig.defaults(redis)));
    }
    if (redisCluster != null) {
      return StoreConfig.redis(fromFile.redis()
          .map(r -> r.withCluster(redisCluster))
          .orElseGet(() -> RedisConfig.clusterDefaults(redisCluster)));
    }
    return fromFile;
  }

  /**
   * Warns when {@code tls_ca_file} is set but the store connects without TLS, which is likely
   * a forgotten {@code rediss://}, such as after {@code --redis redis://...} replaced the URI.
   */
  private static void warnIfCaFileUnused(RedisConfig redis, RateLimitStore store) {
    String servers = redis.cluster().isEmpty()
        ? ((RedisStore) store).uri()
        : redis.maskedCluster();
    if (redis.tlsCaFile().isPresent() && !servers.startsWith("rediss")) {
      LOG.warn("tls_ca_file is set but the store connects without TLS; use a rediss:// URI"
          + " to connect over TLS uri={} tls_ca_file={}", servers, redis.tlsCaFile().get());
    }
  }

  /** Describes the store for the start-up line, with any Redis password masked. */
  static String describe(StoreConfig settings, RateLimitStore store) {
    if (settings.redis().isEmpty()) {
      return "store=memory max_keys=" + settings.maxKeys()
          + " at_capacity=" + settings.atCapacityName();
    }
    RedisConfig redis = settings.redis().get();
    String servers = redis.cluster().isEmpty()
        ? "uri=" + ((RedisStore) store).uri()
        : "cluster=" + redis.maskedCluster();
    return "store=redis " + servers
        + " key_prefix=" + redis.keyPrefix()
        + " command_timeout_ms=" + redis.commandTimeout().toMillis()
        + " on_failure=" + redis.onFailure().name().toLowerCase(Locale.ROOT)
        + " local_share=" + redis.localShare()
        + " time=" + redis.timeMode().name().toLowerCase(Locale.ROOT)
        + (redis.denyCache() ? " deny_cache=true" : "")
        + redis.tlsCaFile().map(file -> " tls_ca_file=" + file).orElse("")
        + redis.sentinelPassword().map(password -> " sentinel_password=***").orElse("");
  }

  /**
   * Describes policies for the start-up line, such as {@code login: gcra 5/1m burst 5}, adding
   * the failure mode of a policy whose mode differs from the store's, such as
   * {@code login: gcra 5/1m burst 5, on_failure deny}. Only the first
   * {@value #MAX_DESCRIBED_POLICIES} are described, followed by {@code and N more}, because log
   * shippers split or cut long lines.
   */
  static String describe(
      List<Policy> policies, Map<String, FailureMode> failureModes, StoreConfig store) {
    FailureMode storeMode = store.redis().map(RedisConfig::onFailure).orElse(null);
    String described = policies.stream()
        .limit(MAX_DESCRIBED_POLICIES)
        .map(p -> describe(p, failureModes.getOrDefault(p.name(), storeMode), storeMode))
        .collect(Collectors.joining("; "));
    int more = policies.size() - MAX_DESCRIBED_POLICIES;
    return more > 0 ? described + "; and " + more + " more" : described;
  }

  private static String describe(Policy policy, FailureMode failureMode, FailureMode storeMode) {
    String limits = policy.limits().stream()
        .map(ServeCommand::describe)
        .collect(Collectors.joining(" + "));
    String ownMode = failureMode == storeMode
        ? ""
        : ", on_failure " + failureMode.name().toLowerCase(Locale.ROOT);
    return policy.name() + ": " + limits + ownMode;
  }

  private static String describe(Limit limit) {
    String rate = limit.limit() + "/" + Durations.format(limit.period());
    StringBuilder text = new StringBuilder();
    if (!limit.name().equals(rate)) {
      text.append(limit.name()).append('=');
    }
    text.append(limit.algorithm()).append(' ').append(rate);
    if (limit.algorithm().hasBurst()) {
      text.append(" burst ").append(limit.burst());
    }
    if (limit.mode() == Mode.SHAPE) {
      text.append(" shape");
    }
    return text.toString();
  }

  /**
   * Returns the message of an exception and of its causes, so that Jetty's "Failed to bind"
   * carries the operating system's reason, such as "Address already in use". A Redis store's
   * failure to connect already explains its causes in its own message.
   */
  private static String describe(Throwable failure) {
    if (failure instanceof RedisConnectionException) {
      return String.valueOf(failure.getMessage());
    }
    StringBuilder text = new StringBuilder(String.valueOf(failure.getMessage()));
    for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
      if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
        text.append(": ").append(cause.getMessage());
      }
    }
    return text.toString();
  }

  /**
   * Parses {@code --port}. A value that is not a whole number gets the range in the message,
   * rather than picocli's "'abc' is not an int", and so does one out of range. Picocli prefixes
   * the message with "Invalid value for option '--port': ".
   */
  static final class PortConverter implements ITypeConverter<Integer> {

    private static final int MAX_PORT = 65_535;

    @Override
    public Integer convert(String text) {
      // The length bound keeps BigInteger from parsing a number of a million digits.
      if (!text.matches("-?[0-9]{1,40}")) {
        throw new TypeConversionException(
            "must be a whole number from 0 to " + MAX_PORT + ", got '" + text + "'");
      }
      BigInteger value = new BigInteger(text);
      if (value.signum() < 0 || value.compareTo(BigInteger.valueOf(MAX_PORT)) > 0) {
        throw new TypeConversionException("must be 0 to " + MAX_PORT + ", got " + value);
      }
      return value.intValueExact();
    }
  }

  /**
   * A failure to start the store, such as a Redis that cannot be reached. It has a type of its
   * own so that the message does not blame the address the HTTP server listens on.
   */
  public static final class StoreStartException extends Exception {

    private static final long serialVersionUID = 1L;

    StoreStartException(RuntimeException cause) {
      super(cause.getMessage(), cause);
    }
  }
}
