package dev.sluice.redis;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.store.PolicyBinding;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.RateLimitStore;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.ConnectionFuture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.StatefulRedisConnectionImpl;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisKeyAsyncCommands;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.api.async.RedisServerAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Keeps the state of every key in Redis, so that all instances of a service share their
 * limits.
 *
 * <pre>{@code
 * try (RedisStore store = RedisStore.builder().uri("redis://127.0.0.1:6379").build()) {
 *   RateLimiter limiter = RateLimiter.builder(policy).store(store).build();
 *   Decision decision = limiter.tryAcquire("user-42", 1);
 * }
 * }</pre>
 *
 * <p><b>Decisions.</b> Each decision is one {@code EVALSHA} of a Lua script over the keys of
 * all limits of the policy, so a multi-limit policy is decided atomically, all or nothing. The
 * script computes with arbitrary-precision integers and ports the in-memory meters line by
 * line, so that on the same clock its decisions equal those of the in-memory store. All
 * requests share one multiplexed connection. Requests for a key whose call is in flight wait
 * for it, then go together in a few calls that decide them in arrival order, as if sent one
 * by one; see {@link PolicyBinding#tryAcquireAsync} of the bound policies.
 *
 * <p><b>Keys.</b> Each limit of a policy has one key per user key, named
 * {@code prefix:{policy:userKey}:limitName:algorithm} with policy, user key and limit name
 * percent-encoded. It is a hash, except for a {@code sliding_log}: a sorted set of one entry per
 * admission instant, so that a decision reads a few entries of it. A {@code sliding_log} key
 * that an earlier version wrote as a hash is read as it is and replaced by a sorted set at its
 * first admission. All keys of one decision share that Redis Cluster hash tag, and no user key
 * can move it. Every key is written with an expiry equal to the time until it is back to its
 * initial state, so an idle key costs no memory. Binding a policy again keeps the state of
 * every limit whose name and algorithm are unchanged, even when other limits were added or
 * removed.
 *
 * <p><b>Topologies.</b> One server or a Sentinel-managed master ({@link Builder#uri(String)}
 * with a {@code redis-sentinel://} URI), or a Redis Cluster ({@link Builder#clusterSeeds}).
 *
 * <p><b>TLS.</b> A {@code rediss://} URI connects over TLS and checks the server's certificate
 * and that it names the URI's host, against the JDK's default trust store or the CA
 * certificates given to {@link Builder#trustedCertificates}.
 *
 * <p><b>Failures.</b> A decision that gets no reply within the command timeout (20 ms by
 * default), or an error, is decided by the {@link FailureMode}: deny, allow or decide on a
 * local share of the limits. {@code tryAcquire} never throws for a Redis failure. When calls
 * have failed for 500 ms with no success between them, at least 3 of them by default
 * ({@link Builder#failureDuration}, {@link Builder#failureThreshold}), a circuit breaker
 * stops calling Redis and answers every decision by the failure mode at once, except one probe
 * per probe interval (1 s by default); the first probe that succeeds resumes normal decisions.
 * A successful call before that ends the run of failures. The store logs one WARNING when
 * the breaker opens, naming its failure mode and how many bound policies use each mode, and
 * one INFO line when it recovers, with the number of decisions each mode made, through
 * {@link System.Logger} under the name of this class. Failed calls that leave the breaker
 * closed log one WARNING summary at most once per 10 s, with the decisions each mode made
 * since the last summary and the last error. The decision's
 * {@link dev.sluice.Decision#source()} tells which decisions the failure mode made.
 *
 * <p><b>Limitations.</b> A decision that timed out may still run on Redis later and charge
 * the request, although the caller got the failure mode's answer. The store connects and loads
 * its script in {@link Builder#build()}, which throws when Redis cannot be reached then. These
 * steps are not bound by the command timeout: connecting waits as long as Lettuce's connect
 * timeout and the URI's timeout allow (by default 10 s and 60 s in Lettuce 6.8, and 5 s for
 * a cluster seed without a {@code timeout} option), and
 * {@code SCRIPT LOAD} and one warm-up decision per master, whose keys it deletes, up
 * to 10 s each. A {@code sliding_log} admission whose running total of units would pass
 * 2^52 rewrites the key's log, in time proportional to its entries, once in at least 45
 * billion admissions at the largest limit of 100,000. Replication to replicas is
 * asynchronous, so a failover may lose the last admissions of the old master.
 */
public final class RedisStore implements RateLimitStore {

  /** The default longest wait for the reply to a decision. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(20);

  /** The default number of consecutive failed calls that opens the circuit breaker. */
  public static final int DEFAULT_FAILURE_THRESHOLD = 3;

  /** The default time that calls must have failed, with no success, to open the breaker. */
  public static final Duration DEFAULT_FAILURE_DURATION = Duration.ofMillis(500);

  /** The default time between two probes while Redis fails. */
  public static final Duration DEFAULT_PROBE_INTERVAL = Duration.ofSeconds(1);

  private static final Duration MIN_COMMAND_TIMEOUT = Duration.ofMillis(1);
  private static final Duration MAX_COMMAND_TIMEOUT = Duration.ofDays(106_751);

  /** The maximum wait for {@code SCRIPT LOAD} and each warm-up decision in {@code build()}. */
  private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(10);

  private static final String MAXMEMORY_POLICY = "maxmemory-policy";
  private static final System.Logger LOG = System.getLogger(RedisStore.class.getName());

  /** The policy name and user key of the warm-up decisions, which write nothing. */
  private static final String WARM_UP = "sluice-warm-up";

  /**
   * The ACL rules of every command that the store sends ({@code EVALSHA}, {@code SCRIPT LOAD})
   * or that its script calls, so that an ACL user with only these rules can decide.
   */
  private static final String ACL_COMMANDS = "+evalsha +script|load +time +hmget +hset"
      + " +hstrlen +pexpire +del +type +zadd +zcard +zrange +zrangebyscore +zrank"
      + " +zremrangebyrank";

  /** How many times the store tries to connect to the master named after a failover. */
  private static final int MOVE_ATTEMPTS = 10;
  private static final long MOVE_RETRY_MILLIS = 500;
  private static final long MOVE_ATTEMPT_TIMEOUT_MILLIS = 2_000;

  /**
   * The shortest gap between two reloads of a Redis Cluster's slot map that a failed
   * connection or a redirection triggers. Lettuce's default of 30 s let a reload that came just
   * before a replica took over hold back the next one, so the dead master's slots kept failing
   * for up to 30 s.
   */
  private static final Duration TOPOLOGY_REFRESH_GAP = Duration.ofSeconds(1);

  /**
   * How often the slot map of a Redis Cluster is reloaded even when nothing triggers a reload, as
   * when calls to a dead master are rejected locally, or to a hung one time out, and no
   * redirection ever arrives.
   */
  private static final Duration PERIODIC_TOPOLOGY_REFRESH = Duration.ofSeconds(5);

  /** The maximum number of user keys tried to find one for each master of a cluster. */
  private static final int MAX_WARM_UP_TRIES = 10_000;

  private final HashedWheelTimer timer;
  private final ClientResources resources;
  private final ReconnectLog reconnectLog;
  private final AbstractRedisClient client;
  /**
   * The connection that decisions use. A failover that the sentinels announce replaces it,
   * under {@link #connectionLock}, which {@link #close} takes too.
   */
  private volatile StatefulConnection<String, String> connection;
  private final Object connectionLock = new Object();
  /** The URI of a Sentinel-managed master, else null. */
  private final RedisURI sentinelUri;
  /** The number of the latest announcement of a new master. Guarded by connectionLock. */
  private long announcements;
  /**
   * The master that the last move connected to, as host:port, or null before the first move.
   * Guarded by connectionLock.
   */
  private String connectedMaster;
  private final SentinelFollower sentinelFollower;
  private final DecisionScript script;
  private final String keyPrefix;
  private final TimeMode timeMode;
  private final TimeSource timeSource;
  private final boolean expireKeys;
  private final String maskedUri;
  private final FailureHandling failures;
  private final int localShare;
  private final InMemoryStore local;
  private final boolean denyCache;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RedisStore(Builder builder) {
    this.keyPrefix = builder.keyPrefix;
    this.timeMode = builder.timeMode;
    this.timeSource = builder.timeSource;
    this.expireKeys = builder.expireKeys;
    this.maskedUri = builder.clusterSeeds == null
        ? mask(builder.uri)
        : maskSeeds(builder.clusterSeeds);
    this.localShare = builder.localShare;
    this.denyCache = builder.denyCache;
    String description = "uri=" + maskedUri + " on_failure="
        + builder.failureMode.name().toLowerCase(Locale.ROOT);
    Breaker breaker = new Breaker(builder.breakerClock, builder.probeInterval.toNanos(),
        builder.failureThreshold, builder.failureDuration.toNanos(), description,
        builder.failureMode);
    this.failures = new FailureHandling(
        builder.commandTimeout, builder.failureMode, builder.probeInterval, breaker);
    // Created for every store, because a policy may choose LOCAL when the store's default is
    // another mode. An InMemoryStore that is never bound costs a few empty maps.
    this.local = InMemoryStore.builder().timeSource(timeSource).build();

    this.timer = timeoutTimer(builder.commandTimeout);
    this.resources = DefaultClientResources.builder()
        .threadFactoryProvider(new StoreThreads())
        .timer(timer)
        .reconnectDelay(Delay.exponential(
            Duration.ofMillis(1), builder.probeInterval, 2, TimeUnit.MILLISECONDS))
        .build();
    SslOptions ssl = sslOptions(builder.trustedCertificates);
    // The start-up calls wait up to LOAD_TIMEOUT; decisions after them get the command timeout.
    AtomicLong evalshaTimeoutNanos = new AtomicLong(LOAD_TIMEOUT.toNanos());
    TimeoutOptions timeouts = DecisionScript.decisionTimeouts(evalshaTimeoutNanos);
    this.client = builder.clusterSeeds == null
        ? standaloneClient(resources, builder.uri, ssl, timeouts)
        : clusterClient(resources, builder.clusterSeeds, ssl, timeouts);
    try {
      this.connection = connect(client);
      this.script = connection instanceof StatefulRedisClusterConnection<String, String> cluster
          ? new DecisionScript(cluster.async(),
              source -> DecisionScript.loadOnServingMasters(cluster, source), LOAD_TIMEOUT, timer)
          : new DecisionScript(scripting(connection), LOAD_TIMEOUT, timer);
    } catch (RuntimeException e) {
      client.shutdown();
      resources.shutdown();
      timer.stop();
      if (e.getCause() != null && Breaker.isPermissionError(e.getCause())) {
        throw permissionDenied("SCRIPT LOAD", e.getCause());
      }
      throw ConnectErrors.describe(e, maskedUri, uriTimeout(builder));
    }
    try {
      rejectReplicaOrClusterNode();
      warmUp(builder.probeInterval);
    } catch (RuntimeException e) {
      connection.close();
      client.shutdown();
      resources.shutdown();
      timer.stop();
      throw e;
    }
    evalshaTimeoutNanos.set(builder.commandTimeout.toNanos());
    warnIfEvicting();
    this.reconnectLog = new ReconnectLog(resources.eventBus(), maskedUri);
    this.sentinelUri = builder.clusterSeeds == null && !builder.uri.getSentinels().isEmpty()
        ? builder.uri
        : null;
    this.sentinelFollower = sentinelUri == null
        ? null
        : new SentinelFollower((RedisClient) client, sentinelUri, maskedUri, timer,
            this::onMasterAnnounced);
  }

  /**
   * Logs one WARNING when the server's {@code maxmemory-policy} is not {@code noeviction}. Every
   * key of the store has an expiry, so both the {@code allkeys-*} and the {@code volatile-*}
   * policies may evict keys when memory is full, which resets their limits. Any error, such
   * as an ACL user without {@code CONFIG GET}, skips the check, logged at DEBUG. On a Redis
   * Cluster, Lettuce sends the command to one node only.
   */
  private void warnIfEvicting() {
    String policy;
    try {
      Map<String, String> config = server(connection).configGet(MAXMEMORY_POLICY)
          .get(LOAD_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
      policy = config.get(MAXMEMORY_POLICY);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "Redis store skipped the maxmemory-policy check uri="
          + maskedUri + " error=\"" + Breaker.describe(e) + "\"");
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (policy != null && !policy.equals("noeviction")) {
      LOG.log(System.Logger.Level.WARNING, "Redis store uri=" + maskedUri + " has "
          + MAXMEMORY_POLICY + "=" + policy + ", so Redis may evict the store's keys when"
          + " memory is full, which resets their limits; set " + MAXMEMORY_POLICY
          + " noeviction, under which writes fail when memory is full and the failure mode"
          + " decides");
    }
  }

  private static RedisServerAsyncCommands<String, String> server(
      StatefulConnection<String, String> connection) {
    return connection instanceof StatefulRedisClusterConnection<String, String> cluster
        ? cluster.async()
        : ((StatefulRedisConnection<String, String>) connection).async();
  }

  /**
   * Throws when the server reported itself in the {@code HELLO} reply of the handshake as a
   * replica or as a node of a Redis Cluster, before the warm-up decision writes. A replica is
   * thus named as such rather than by the {@code READONLY} reply to the warm-up. A Cluster node
   * reached as one server would decide only the keys of its own slots, and the failure mode
   * would decide every other key for good. Lettuce 6.8 keeps the role and mode only for a
   * connection to one server that negotiated RESP3, so a server that replied to RESP2 only is
   * not checked here.
   */
  private void rejectReplicaOrClusterNode() {
    if (!(connection instanceof StatefulRedisConnectionImpl<?, ?> single)) {
      return;
    }
    if ("replica".equals(single.getConnectionState().getRole())) {
      throw new RedisException("Redis at " + maskedUri + " is a replica, and the"
          + " store must write every admission; use the URI of the master, or a"
          + " redis-sentinel:// URI, which follows the master through failovers");
    }
    if ("cluster".equals(single.getConnectionState().getMode())) {
      throw new RedisException("Redis at " + maskedUri + " is a node of a Redis Cluster,"
          + " which holds only the keys of its own slots; connect with clusterSeeds"
          + " (--redis-cluster or cluster: in sluice serve) and the URIs of the cluster's nodes");
    }
  }

  /**
   * Sends one decision of cost 1 to each master, on a fresh key under one limit of each algorithm,
   * so that it runs every command that admissions run, and then deletes the decision's keys. It
   * waits up to the load timeout for each. An ACL user without a command that only admissions need,
   * such as {@code HSET} or {@code ZADD}, is thus refused here, where a decision that writes
   * nothing passed and every admission failed later. A cold JVM loads and compiles the decision
   * path during its first decisions: the first took 7 to 23 ms in six runs on two shared cores, and
   * 2 to 7 ms after this warm-up. On a Redis Cluster, Lettuce also connects to a master only when
   * the first command goes to it, within that command's timeout. Without the warm-up, concurrent
   * first requests could all pass the command timeout and open the breaker. The warm-up has a
   * breaker of its own that never opens, so its failure is neither counted nor logged above DEBUG.
   * A failure that persists reaches the store's breaker through the decisions that follow.
   */
  private void warmUp(Duration probeInterval) {
    List<Limit> limits = new ArrayList<>();
    for (Algorithm algorithm : Algorithm.values()) {
      limits.add(Limit.of(algorithm, 1, Duration.ofMillis(1)).withName(algorithm.configName()));
    }
    Policy policy = new Policy(WARM_UP, limits);
    Breaker own = new Breaker(System::nanoTime, probeInterval.toNanos(), Integer.MAX_VALUE,
        "uri=" + maskedUri + " warm_up", FailureMode.ALLOW);
    FailureHandling patient =
        new FailureHandling(LOAD_TIMEOUT, FailureMode.ALLOW, probeInterval, own);
    RedisBinding binding =
        new RedisBinding(policy, script, keyPrefix, clock(), expireKeys, patient, null);
    // A key of its own for each start, so that the decision is admitted and writes.
    String run = Long.toHexString(ThreadLocalRandom.current().nextLong());
    for (String userKey : warmUpKeys(binding, run)) {
      if (binding.tryAcquire(userKey, 1, Long.MAX_VALUE).source() != Decision.Source.STORE) {
        rejectUnusable(own.lastError());
      }
      deleteWarmUpKeys(binding.keysOf(userKey));
    }
  }

  /**
   * Deletes the keys of a warm-up decision, which would otherwise stay until they expire, or
   * for good without expiries. An ACL user without {@code DEL} is refused, because decisions
   * delete keys too; any other failure leaves keys that expire within a millisecond.
   */
  private void deleteWarmUpKeys(String[] keys) {
    try {
      keyCommands().del(keys).toCompletableFuture()
          .get(LOAD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      rejectUnusable(e.getCause());
    } catch (TimeoutException e) {
      LOG.log(System.Logger.Level.DEBUG, "Redis store left its warm-up keys to expire uri="
          + maskedUri + " error=\"" + Breaker.describe(e) + "\"");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisException("interrupted while deleting the warm-up keys on " + maskedUri, e);
    }
  }

  private RedisKeyAsyncCommands<String, String> keyCommands() {
    return connection instanceof StatefulRedisClusterConnection<String, String> cluster
        ? cluster.async()
        : ((StatefulRedisConnection<String, String>) connection).async();
  }

  /**
   * Throws when the warm-up decision failed for a reason that would fail every decision: the
   * ACL user lacks a permission, or the server is a read-only replica. Any other failure, such
   * as a timeout, a lost connection or a server still loading its data, may pass, so the store
   * starts and its breaker handles it, as it does when Redis fails later.
   */
  private void rejectUnusable(Throwable error) {
    if (error == null) {
      return;
    }
    String reply = Breaker.describe(error);
    if (Breaker.isPermissionError(error)) {
      throw permissionDenied("the warm-up decision", error);
    }
    if (Breaker.isReadOnlyError(error)) {
      throw new RedisException("the warm-up decision on " + maskedUri + " failed: " + reply
          + "; the server is a read-only replica, so use the URI of the master, or a"
          + " redis-sentinel:// URI", error);
    }
  }

  /** Returns the error for a start-up step that the ACL user has no permission for. */
  private RedisException permissionDenied(String step, Throwable error) {
    return new RedisException(step + " on " + maskedUri + " failed: " + Breaker.describe(error)
        + "; grant the Redis ACL user of the URI the keys and commands that the store needs,"
        + " such as with ACL SETUSER <user> ~" + keyPrefix + ":* " + aclCommands(), error);
  }

  /**
   * Returns the ACL rules of the commands that the store sends and that its script calls, as
   * {@code ACL SETUSER} writes them.
   */
  static String aclCommands() {
    return ACL_COMMANDS;
  }

  /**
   * Returns user keys whose decisions go to each master of a Redis Cluster, as far as the slot
   * map read at connection names them, or one key for a single server.
   */
  private List<String> warmUpKeys(RedisBinding binding, String run) {
    if (!(client instanceof RedisClusterClient cluster)) {
      return List.of(WARM_UP + "-" + run);
    }
    Partitions partitions = cluster.getPartitions();
    long withSlots = partitions.stream().filter(node -> !node.hasNoSlots()).count();
    Set<String> masters = new HashSet<>();
    List<String> keys = new ArrayList<>();
    // A few keys reach 3 masters; the bound ends the search if the slot map leaves one out.
    for (int i = 0; i < MAX_WARM_UP_TRIES && masters.size() < withSlots; i++) {
      String userKey = WARM_UP + "-" + run + "-" + i;
      RedisClusterNode master =
          partitions.getPartitionBySlot(SlotHash.getSlot(binding.keysOf(userKey)[0]));
      if (master != null && masters.add(master.getNodeId())) {
        keys.add(userKey);
      }
    }
    return keys;
  }

  /**
   * Creates the timer that fails decisions without a reply. It ticks at a fifth of the command
   * timeout, at least 1 ms and at most 100 ms, so a decision times out up to one tick late
   * (4 ms at the default 20 ms). Adding a decision to this timer wakes no thread, unlike a
   * {@code CompletableFuture.orTimeout} per decision, but the timer's thread wakes once per
   * tick even when idle: at a 1 ms tick it used about 170 ms of CPU time per 10 s (1.7% of a
   * core) in one measurement (Netty 4.1.121, 2 shared cores), at a 10 ms tick about 30 ms.
   */
  private static HashedWheelTimer timeoutTimer(Duration commandTimeout) {
    long tickMillis = Math.max(1, Math.min(100, commandTimeout.toMillis() / 5));
    return new HashedWheelTimer(StoreThreads.factory("sluice-redis-timeout"),
        tickMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Connects with an ASCII codec, which Lettuce writes straight into the request buffer, where
   * a UTF-8 codec first encodes each argument into a buffer of its own. Every key and argument
   * the store sends is ASCII: {@link RedisKeys} percent-encodes the parts of a key, the prefix
   * is printable ASCII, and the other arguments are numbers and algorithm names. Lettuce sends
   * the script's source in its own script charset, UTF-8 by default.
   */
  private static StatefulConnection<String, String> connect(AbstractRedisClient client) {
    return client instanceof RedisClusterClient cluster
        ? cluster.connect(StringCodec.ASCII)
        : ((RedisClient) client).connect(StringCodec.ASCII);
  }

  private static RedisScriptingAsyncCommands<String, String> scripting(
      StatefulConnection<String, String> connection) {
    return connection instanceof StatefulRedisClusterConnection<String, String> cluster
        ? cluster.async()
        : ((StatefulRedisConnection<String, String>) connection).async();
  }

  /**
   * A client of one server, or of the master that Redis Sentinel names for a
   * {@code redis-sentinel://} URI. Lettuce queries the sentinels again on every reconnection, and
   * a {@link SentinelFollower} moves the store to a new master that they announce.
   */
  private static RedisClient standaloneClient(
      ClientResources resources, RedisURI uri, SslOptions ssl, TimeoutOptions timeouts) {
    RedisClient client = RedisClient.create(resources, uri);
    client.setOptions(ClientOptions.builder()
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .sslOptions(ssl)
        .timeoutOptions(timeouts)
        .build());
    return client;
  }

  /**
   * A client of a Redis Cluster. It routes each call to the master of its keys' slot, follows
   * MOVED and ASK redirections, and reloads the slot map when one arrives or a connection fails,
   * at most once per {@link #TOPOLOGY_REFRESH_GAP}, and every {@link #PERIODIC_TOPOLOGY_REFRESH}.
   */
  private static RedisClusterClient clusterClient(
      ClientResources resources, List<RedisURI> seeds, SslOptions ssl,
      TimeoutOptions timeouts) {
    RedisClusterClient client = RedisClusterClient.create(resources, seeds);
    client.setOptions(ClusterClientOptions.builder()
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .sslOptions(ssl)
        .timeoutOptions(timeouts)
        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
            .enableAllAdaptiveRefreshTriggers()
            .adaptiveRefreshTriggersTimeout(TOPOLOGY_REFRESH_GAP)
            .enablePeriodicRefresh(PERIODIC_TOPOLOGY_REFRESH)
            .build())
        .build());
    return client;
  }

  /**
   * Builds the TLS options: the JDK's default trust store, or only the certificates of
   * {@code trustedCertificates} when given. Lettuce uses them only for {@code rediss://} URIs.
   */
  private static SslOptions sslOptions(Path trustedCertificates) {
    if (trustedCertificates == null) {
      return SslOptions.create();
    }
    return SslOptions.builder().jdkSslProvider().trustManager(trustedCertificates.toFile())
        .build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the policy that each of {@code instances} instances enforces on its own in
   * {@link FailureMode#LOCAL} while Redis fails: every limit and burst divided by
   * {@code instances}, rounded up, at least 1 (see {@link Builder#localShare}). A config
   * loader can call it to reject a policy before any store starts.
   *
   * @throws IllegalArgumentException if {@code instances} is less than 1, or if a divided
   *     limit breaks a rule of {@link dev.sluice.Limit}: rounding up can raise the time the
   *     burst takes to recover past its bound. Its cause is then the exception of the limit.
   */
  public static Policy localShareOf(Policy policy, int instances) {
    Objects.requireNonNull(policy, "policy");
    if (instances < 1) {
      throw new IllegalArgumentException("instances must be at least 1, got " + instances);
    }
    return LocalShare.of(policy, instances);
  }

  /**
   * Binds a policy that fails by the store's failure mode; see {@link Builder#onFailure}.
   *
   * @throws IllegalArgumentException as {@link #bind(Policy, FailureMode)} does
   */
  @Override
  public PolicyBinding bind(Policy policy) {
    return bind(policy, failures.mode());
  }

  /**
   * Binds a policy with its own failure mode, so that, for example, a login policy fails
   * closed while the others of the same store fail open. The timeout, the probe interval and
   * the circuit breaker stay the store's: one Redis outage opens the breaker for every policy.
   *
   * @throws IllegalArgumentException if {@code onFailure} is {@link FailureMode#LOCAL} and the
   *     policy's share of one instance is not a valid policy; see {@link #localShareOf}
   * @throws IllegalStateException if the store is closed
   */
  public PolicyBinding bind(Policy policy, FailureMode onFailure) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(onFailure, "onFailure");
    requireOpen();
    PolicyBinding localBinding = onFailure == FailureMode.LOCAL
        ? local.bind(LocalShare.of(policy, localShare))
        : null;
    FailureHandling policyFailures = new FailureHandling(failures.commandTimeout(), onFailure,
        failures.probeInterval(), failures.breaker().forPolicy(policy.name(), onFailure));
    PolicyBinding binding = new RedisBinding(
        policy, script, keyPrefix, clock(), expireKeys, policyFailures, localBinding);
    if (!denyCache) {
      return binding;
    }
    LongSupplier denyClock = timeMode == TimeMode.CLIENT ? timeSource::nanos : System::nanoTime;
    return new DenyCache(binding, denyClock, DenyCache.DEFAULT_MAX_ENTRIES, this::requireOpen);
  }

  /** The server's URI, with any user name and password replaced by {@code ***}. */
  public String uri() {
    return maskedUri;
  }

  /**
   * Closes the connection and releases the client's threads. Decisions started before are
   * still completed: a call without a reply fails, and the failure mode decides it. Later
   * decisions and {@code bind} throw {@link IllegalStateException}. Calling it again does
   * nothing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    failures.breaker().closeStore(closedMessage());
    reconnectLog.close();
    if (sentinelFollower != null) {
      sentinelFollower.close();
    }
    synchronized (connectionLock) {
      connection.close();
    }
    client.shutdown();
    resources.shutdown();
    timer.stop();
  }

  /**
   * Moves the store to the master that the sentinels name, after one of them announced a new
   * master. Every sentinel announces a failover when it adopts it, and announcements from
   * different sentinels come in no set order: a late one may name a master that a failback has
   * since replaced. So the store does not connect to the announced address. Each announcement
   * queries the sentinels again, as a reconnection does, and only the connection of the latest
   * announcement is used. A failed attempt is tried again up to {@value #MOVE_ATTEMPTS} times,
   * {@value #MOVE_RETRY_MILLIS} ms apart, each given {@value #MOVE_ATTEMPT_TIMEOUT_MILLIS} ms.
   * Runs on a Lettuce I/O thread, so it only starts the connection.
   */
  private void onMasterAnnounced() {
    long announcement;
    synchronized (connectionLock) {
      if (closed.get()) {
        return;
      }
      announcement = ++announcements;
    }
    connectThroughSentinels(announcement, MOVE_ATTEMPTS);
  }

  private void connectThroughSentinels(long announcement, int attemptsLeft) {
    ConnectionFuture<StatefulRedisConnection<String, String>> future =
        ((RedisClient) client).connectAsync(StringCodec.ASCII, sentinelUri);
    // Lettuce bounds a connection by the URI's timeout, 60 s by default, which would hold up
    // the move on a master that accepts connections but never replies.
    AtomicBoolean settled = new AtomicBoolean();
    Timeout deadline = timer.newTimeout(expired -> {
      if (settled.compareAndSet(false, true)) {
        retryOrWarn(announcement, attemptsLeft, "connecting took more than "
            + MOVE_ATTEMPT_TIMEOUT_MILLIS + " ms");
      }
    }, MOVE_ATTEMPT_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    future.whenComplete((fresh, error) -> {
      if (!settled.compareAndSet(false, true)) {
        if (fresh != null) {
          fresh.closeAsync();
        }
        return;
      }
      deadline.cancel();
      if (error == null) {
        useConnection(fresh, address(future.getRemoteAddress()), announcement);
      } else {
        retryOrWarn(announcement, attemptsLeft, Breaker.describe(error));
      }
    });
  }

  private void retryOrWarn(long announcement, int attemptsLeft, String error) {
    synchronized (connectionLock) {
      if (closed.get() || announcement != announcements) {
        return;
      }
    }
    if (attemptsLeft > 1) {
      timer.newTimeout(retry -> connectThroughSentinels(announcement, attemptsLeft - 1),
          MOVE_RETRY_MILLIS, TimeUnit.MILLISECONDS);
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "Redis store cannot connect to the master that the"
        + " sentinels name after a failover uri=" + maskedUri + " attempts=" + MOVE_ATTEMPTS
        + " error=\"" + error + "\"; it stays on its connection, which queries the sentinels"
        + " again when it reconnects");
  }

  /**
   * Writes an address as {@code host:port}, with an IPv6 address in brackets, such as a master
   * the store moved to or a server that refused a reconnection.
   */
  static String address(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      String host = hostOf(inet);
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    return String.valueOf(address);
  }

  /**
   * Returns the host of an address as written or resolved, without the brackets that an
   * unresolved address keeps around an IPv6 host as the URI wrote it.
   */
  static String hostOf(InetSocketAddress address) {
    return address.getHostString().replaceAll("^\\[(.*)\\]$", "$1");
  }

  /**
   * Makes {@code fresh}, a connection to {@code master}, the connection of decisions and closes
   * the old one, unless the store closed, another announcement came since the connection
   * started, or the store is already connected to that master. Calls in flight on the old
   * connection fail, and the failure mode decides them.
   */
  private void useConnection(
      StatefulRedisConnection<String, String> fresh, String master, long announcement) {
    StatefulConnection<String, String> old;
    synchronized (connectionLock) {
      if (closed.get() || announcement != announcements || master.equals(connectedMaster)) {
        fresh.closeAsync();
        return;
      }
      old = connection;
      connection = fresh;
      connectedMaster = master;
      script.use(fresh.async());
    }
    old.closeAsync();
    LOG.log(System.Logger.Level.INFO, "Redis store moved to the new master that the sentinels"
        + " name uri=" + maskedUri + " master=" + master);
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException(closedMessage());
    }
  }

  private String closedMessage() {
    return "Redis store is closed: uri=" + maskedUri;
  }

  /** The number of decisions that called Redis, counted by the circuit breaker; for tests. */
  long redisAttempts() {
    return failures.breaker().attempts();
  }

  /** Whether the circuit breaker is open, so that decisions skip Redis; for tests. */
  boolean breakerOpen() {
    return failures.breaker().isOpen();
  }

  /**
   * Returns the URI's timeout, which bounds connecting and the handshake; a Redis Cluster client
   * uses the first seed's for every node.
   */
  private static Duration uriTimeout(Builder builder) {
    RedisURI uri = builder.clusterSeeds == null ? builder.uri : builder.clusterSeeds.get(0);
    return uri.getTimeout();
  }

  /**
   * Replaces the user name and password of a URI written as text with {@code ***}, also when
   * the URI is otherwise invalid, so that it can appear in an error message. A URI whose
   * authority is a plain list of hosts has no user info, even if an option's value or a
   * Sentinel master's name contains an {@code @}. User info followed by such a list is
   * replaced, unless another {@code @} comes before the fragment. Otherwise everything up to
   * the last {@code @} is replaced, because a password may contain an {@code @}, {@code /},
   * {@code ?} or {@code #} that its writer forgot to percent-encode. The value of an option
   * that Lettuce does not read, such as {@code password=...}, is replaced too.
   */
  public static String maskUserInfo(String uri) {
    return UriChecks.maskOptions(maskUserInfoOnly(uri));
  }

  private static String maskUserInfoOnly(String uri) {
    int start = uri.indexOf("://");
    if (start < 0) {
      // Without a scheme, such as app:secret@host:6379 or redis:/:secret@host, anything before
      // the last '@' may be user info.
      int at = uri.lastIndexOf('@');
      return at < 0 ? uri : "***" + uri.substring(at);
    }
    String rest = uri.substring(start + 3);
    String authority = UriChecks.authorityOf(rest);
    // An '@' before the query, or in the fragment, may end a password whose '/', '?' or '#'
    // was not encoded; one in an option's value, such as clientName=a@b, cannot.
    int queryOrFragment = UriChecks.indexOfAny(rest, "?#");
    String beforeQuery = queryOrFragment < 0 ? rest : rest.substring(0, queryOrFragment);
    int hash = rest.indexOf('#');
    String firstOption = queryOrFragment >= 0 && rest.charAt(queryOrFragment) == '?'
        ? rest.substring(queryOrFragment + 1).split("[=&;#]", 2)[0]
        : "";
    boolean atLater = beforeQuery.indexOf('@', authority.length()) >= 0
        || hash >= 0 && rest.indexOf('@', hash) >= 0 || firstOption.indexOf('@') >= 0;
    if (authority.startsWith(":") && authority.indexOf('@') < 0 && !atLater) {
      // No host before the colon: what follows may be a password without its '@'.
      return uri.substring(0, start + 3) + "***" + uri.substring(start + 3 + authority.length());
    }
    if (authority.indexOf('@') < 0 && !atLater) {
      return uri;
    }
    int at = authority.lastIndexOf('@');
    if (at >= 0 && UriChecks.isHostList(authority.substring(at + 1)) && !atLater) {
      return uri.substring(0, start + 3) + "***" + uri.substring(start + 3 + at);
    }
    String masked = uri.replaceFirst("(?s)^(.*?://).*@", "$1***@");
    // The last '@' may stand in the query, such as in clientName=a@b&password=x, whose '?' the
    // replacement then took: what follows it is cut, because it may be another option's value.
    int after = masked.indexOf("***@") + "***@".length();
    if (after >= "***@".length()) {
      String tail = masked.substring(after);
      if (tail.split("#", 2)[0].indexOf('?') < 0) {
        int cut = UriChecks.indexOfAny(tail, "&;=");
        if (cut >= 0) {
          masked = masked.substring(0, after + cut) + "***";
        }
      }
    }
    return masked;
  }

  /**
   * Checks what Lettuce reads leniently or reports poorly in a URI written as text, such as a
   * port that is not a number, an unknown option, or a {@code timeout} it cannot read; see
   * {@link Builder#uri(String)}.
   *
   * @param option the setting as the message names it, such as {@code --redis}
   * @throws IllegalArgumentException naming the URI with its user name and password masked
   */
  public static void checkUri(String uri, String option) {
    UriChecks.check(uri, option);
  }

  /**
   * Returns the reason why a URI could not be parsed, from the parser's exception, with the
   * URI's user name and password replaced by {@code ***}. An "at index N" is left out when
   * they were replaced, because it counts characters of the URI as written.
   */
  public static String uriProblem(String uri, RuntimeException parseError) {
    String masked = maskUserInfo(uri);
    String message = String.valueOf(parseError.getMessage());
    if (!masked.equals(uri)) {
      message = message.replaceAll(" at index \\d+", "");
    }
    String advice = "";
    if (message.contains("Malformed escape pair")) {
      advice = "; write a '%' that does not start an escape, such as one in a password, as %25";
    } else if (message.contains("must contain the sentinelMasterId")) {
      advice = "; name the master after #, such as redis-sentinel://127.0.0.1:26379#mymaster";
    }
    return message.replace(uri, masked) + advice;
  }

  /**
   * Writes a URI for logs: scheme, hosts, ports, database and Sentinel master name, without
   * credentials.
   */
  static String mask(RedisURI uri) {
    boolean credentials = uri.getPassword() != null || uri.getUsername() != null;
    String userInfo = credentials ? "***@" : "";
    if (uri.getSentinelMasterId() != null) {
      List<String> sentinels = uri.getSentinels().stream()
          .map(sentinel -> sentinel.getHost() + ":" + sentinel.getPort())
          .toList();
      return (uri.isSsl() ? "rediss-sentinel://" : "redis-sentinel://") + userInfo
          + String.join(",", sentinels) + "/" + uri.getDatabase() + "#"
          + uri.getSentinelMasterId();
    }
    if (uri.getHost() == null) {
      return uri.toString();
    }
    return (uri.isSsl() ? "rediss://" : "redis://") + userInfo
        + uri.getHost() + ":" + uri.getPort() + "/" + uri.getDatabase();
  }

  /**
   * Writes the seed nodes of a cluster for logs, without credentials, in the scheme of the
   * first seed, which all seeds share.
   */
  static String maskSeeds(List<RedisURI> seeds) {
    RedisURI first = seeds.get(0);
    boolean credentials = first.getPassword() != null || first.getUsername() != null;
    List<String> nodes = seeds.stream().map(seed -> hostForUri(seed.getHost()) + ":"
        + seed.getPort()).toList();
    return (first.isSsl() ? "rediss://" : "redis://") + (credentials ? "***@" : "")
        + String.join(",", nodes) + " (cluster)";
  }

  /** Puts an IPv6 address in brackets, as a URI writes it before a port. */
  private static String hostForUri(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /** Returns the time source in {@link TimeMode#CLIENT}; empty for the server's time. */
  @Override
  public Optional<TimeSource> decisionTimeSource() {
    return Optional.ofNullable(clock());
  }

  /** Returns the time source in {@link TimeMode#CLIENT}, or null to read the server's time. */
  private TimeSource clock() {
    return timeMode == TimeMode.CLIENT ? timeSource : null;
  }

  /** Options of a {@link RedisStore}. */
  public static final class Builder {
    private RedisURI uri = RedisURI.create("redis://127.0.0.1:6379");
    private List<RedisURI> clusterSeeds;
    private String keyPrefix = "sluice";
    private TimeMode timeMode = TimeMode.SERVER;
    private TimeSource timeSource = TimeSource.system();
    private boolean expireKeys = true;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private FailureMode failureMode = FailureMode.ALLOW;
    private Duration probeInterval = DEFAULT_PROBE_INTERVAL;
    private int failureThreshold = DEFAULT_FAILURE_THRESHOLD;
    private Duration failureDuration = DEFAULT_FAILURE_DURATION;
    private int localShare = 1;
    private LongSupplier breakerClock = System::nanoTime;
    private boolean denyCache;
    private Path trustedCertificates;
    private String sentinelPassword;

    private Builder() {}

    /**
     * Sets the server; by default {@code redis://127.0.0.1:6379}. Replaces any
     * {@link #clusterSeeds(List) cluster seeds}.
     */
    public Builder uri(RedisURI uri) {
      UriChecks.check(Objects.requireNonNull(uri, "uri"), "uri");
      this.uri = uri;
      this.clusterSeeds = null;
      return this;
    }

    /**
     * Sets the server as a Redis URI such as {@code redis://:password@host:6379/0}, or a Redis
     * Sentinel URI such as {@code redis-sentinel://host1:26379,host2:26379/0#mymaster}, which
     * connects to the master that the sentinels name for {@code mymaster} and follows it
     * through failovers. Replaces any {@link #clusterSeeds(List) cluster seeds}.
     *
     * @throws IllegalArgumentException if the URI is invalid: no scheme, a port that is not a
     *     number from 1 to 65535, an option that Lettuce does not read or without a value, a
     *     database that is not a whole number or given twice, a {@code timeout} other than a
     *     positive whole number with an optional unit (ns, us, ms, s, m, h or d), or a
     *     {@code redis://} URI with several hosts, which only {@link #clusterSeeds(List)}
     *     accepts
     */
    public Builder uri(String uri) {
      // Checked first, so that a password with an unencoded '/' gets advice, not a parse error.
      UriChecks.check(Objects.requireNonNull(uri, "uri"), "uri");
      RedisURI parsed;
      try {
        parsed = RedisURI.create(uri);
      } catch (IllegalArgumentException | IllegalStateException e) {
        // Not kept as the cause: the parser's message repeats the URI with its password.
        throw new IllegalArgumentException("uri must be a Redis URI such as"
            + " redis://host:6379, got '" + maskUserInfo(uri) + "': " + uriProblem(uri, e));
      }
      if (parsed.getHost() != null && parsed.getHost().contains(",")) {
        throw new IllegalArgumentException("uri must name one server or use redis-sentinel://,"
            + " got '" + maskUserInfo(uri) + "'; for a Redis Cluster use clusterSeeds");
      }
      return uri(parsed);
    }

    /**
     * Connects to a Redis Cluster through seed nodes, one URI each, such as
     * {@code [redis://:password@10.0.0.1:7000, redis://:password@[2001:db8::1]:7000]}. The
     * store learns the other nodes and the slot map from the seeds, sends each decision to the
     * master of its keys' slot, and follows slot moves. Replaces any {@link #uri(String) uri}.
     *
     * <p>Each seed must be a {@code redis://} or {@code rediss://} URI of one node and of
     * database 0, the only database of a cluster. The seeds may differ only in host and port,
     * because Lettuce connects to every node with the credentials and timeout of the first
     * seed. A seed without a {@code timeout} option gets 5 s instead of Lettuce's 60 s, which
     * bounds how long each reload of the slot map waits for a node that hangs.
     *
     * @throws IllegalArgumentException if there is no seed, or naming the first seed that
     *     breaks a rule, with its user name and password replaced by {@code ***}
     */
    public Builder clusterSeeds(List<String> seedUris) {
      this.clusterSeeds = ClusterSeedUris.parse(Objects.requireNonNull(seedUris, "seedUris"));
      return this;
    }

    /**
     * Connects to a Redis Cluster through seed nodes written as one URI with a comma-separated
     * host list, such as {@code redis://:password@host1:6379,host2:6379,host3:6379}. Each host
     * becomes one seed of {@link #clusterSeeds(List)} with the scheme, credentials and options
     * of the whole. A host list cannot carry an IPv6 address, so pass such seeds as a list.
     *
     * @throws IllegalArgumentException if the seeds are not such a URI, or a seed breaks a rule
     *     of {@link #clusterSeeds(List)}
     */
    public Builder clusterSeeds(String seeds) {
      return clusterSeeds(ClusterSeedUris.split(Objects.requireNonNull(seeds, "seeds")));
    }

    /**
     * Sets the text every key starts with; by default {@code sluice}. It may not contain
     * braces, which would move the Redis Cluster hash tag, nor whitespace.
     *
     * @throws IllegalArgumentException if the prefix is empty or contains such a character
     */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (keyPrefix.isEmpty() || !keyPrefix.chars().allMatch(c -> c > 0x20 && c < 0x7f
          && c != '{' && c != '}')) {
        throw new IllegalArgumentException("keyPrefix must be printable ASCII without braces or"
            + " spaces, got '" + keyPrefix + "'");
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /** Sets which clock decides; by default {@link TimeMode#SERVER}. */
    public Builder timeMode(TimeMode timeMode) {
      this.timeMode = Objects.requireNonNull(timeMode, "timeMode");
      return this;
    }

    /**
     * Sets the time source read in {@link TimeMode#CLIENT}; by default
     * {@link TimeSource#system()}. Ignored in {@link TimeMode#SERVER}.
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /**
     * Sets the longest wait for the reply to a decision, including a reload of the script;
     * by default 20 ms. Without a reply by then the failure mode decides. The timer that
     * enforces it ticks at a fifth of the timeout (at least 1 ms, at most 100 ms), so a
     * decision times out up to one tick late. Connecting and loading the script in
     * {@link #build()} do not use this timeout.
     *
     * @throws IllegalArgumentException if the timeout is shorter than 1 ms, the shortest that
     *     {@code command_timeout} of {@code sluice serve} accepts and the shortest tick of the
     *     timer, or longer than 106,751 days, about the longest time in nanoseconds that a
     *     {@code long} counts
     */
    public Builder commandTimeout(Duration commandTimeout) {
      Objects.requireNonNull(commandTimeout, "commandTimeout");
      if (commandTimeout.compareTo(MIN_COMMAND_TIMEOUT) < 0
          || commandTimeout.compareTo(MAX_COMMAND_TIMEOUT) > 0) {
        throw new IllegalArgumentException("commandTimeout must be from 1ms to 106751d, got "
            + commandTimeout);
      }
      this.commandTimeout = commandTimeout;
      return this;
    }

    /** Sets how decisions are made while Redis fails; by default {@link FailureMode#ALLOW}. */
    public Builder onFailure(FailureMode failureMode) {
      this.failureMode = Objects.requireNonNull(failureMode, "failureMode");
      return this;
    }

    /**
     * Sets the time between two probes of a failing Redis; by default 1 s. It is also the
     * longest delay between two reconnection attempts, and the retry after of a decision of
     * {@link FailureMode#DENY}.
     *
     * @throws IllegalArgumentException if the interval is not positive
     */
    public Builder probeInterval(Duration probeInterval) {
      this.probeInterval = positive(probeInterval, "probeInterval");
      return this;
    }

    /**
     * Sets the number of consecutive failed calls that opens the circuit breaker; by default 3.
     * A successful call sets the count back to 0, so that a single slow reply, such as during a
     * garbage collection pause, costs only the decisions in flight, which the failure mode
     * decides. 1 opens the breaker on the first failed call. A dead Redis costs this many
     * failed calls, then one probe per probe interval.
     *
     * @throws IllegalArgumentException if {@code calls} is less than 1
     */
    public Builder failureThreshold(int calls) {
      if (calls < 1) {
        throw new IllegalArgumentException("failureThreshold must be at least 1, got " + calls);
      }
      this.failureThreshold = calls;
      return this;
    }

    /**
     * Sets how long calls must have failed before the circuit breaker opens, from the first
     * failed call of a run with no successful call since; by default 500 ms. A burst of
     * timeouts that ends sooner, such as the calls in flight during a stall of the client,
     * leaves the breaker closed. A dead Redis fails every call, so it opens the breaker once
     * this time has passed. Zero opens it on the failure threshold alone.
     *
     * @throws IllegalArgumentException if {@code duration} is negative or longer than a day
     */
    public Builder failureDuration(Duration duration) {
      Objects.requireNonNull(duration, "duration");
      if (duration.isNegative() || duration.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException(
            "failureDuration must be from 0 to 1 day, got " + duration);
      }
      this.failureDuration = duration;
      return this;
    }

    /**
     * Sets the expected number of instances sharing this Redis, for {@link FailureMode#LOCAL}:
     * while Redis fails, each instance decides on every limit and burst divided by it, rounded
     * up, at least 1. By default 1, the whole limit on each instance.
     *
     * @throws IllegalArgumentException if {@code instances} is less than 1
     */
    public Builder localShare(int instances) {
      if (instances < 1) {
        throw new IllegalArgumentException("localShare must be at least 1, got " + instances);
      }
      this.localShare = instances;
      return this;
    }

    /**
     * Sets whether each instance repeats a key's denial locally until its retry after has
     * passed, instead of calling Redis for every request; off by default. Only a request of the
     * same key, cost and maximum delay is repeated, and at most 10,000 keys are remembered.
     * A repeated denial never turns away a request that Redis would admit, unless the key's
     * state was changed other than by requests meanwhile, such as by deleting it in Redis.
     */
    public Builder denyCache(boolean enabled) {
      this.denyCache = enabled;
      return this;
    }

    /**
     * Trusts the certificate authorities in a PEM file, such as a private CA that signed the
     * server's certificate, instead of the JDK's default trust store, for {@code rediss://}
     * URIs; ignored for {@code redis://}. The store still checks that the certificate names the
     * URI's host, so a certificate for an IP address needs it as an IP subject alternative name.
     *
     * @throws IllegalArgumentException if the file cannot be read or contains no valid X.509
     *     certificate in PEM form
     */
    public Builder trustedCertificates(Path pemFile) {
      Objects.requireNonNull(pemFile, "pemFile");
      byte[] pem;
      try {
        pem = Files.readAllBytes(pemFile);
      } catch (IOException e) {
        throw new IllegalArgumentException("trustedCertificates must be a readable PEM file of"
            + " CA certificates, got '" + pemFile + "': " + e, e);
      }
      checkCertificates(pem, pemFile);
      this.trustedCertificates = pemFile;
      return this;
    }

    /** Checks that {@code pem} is the PEM text of at least one valid X.509 certificate. */
    private static void checkCertificates(byte[] pem, Path pemFile) {
      // CertificateFactory also reads DER, but Lettuce's trust manager reads only PEM.
      if (!new String(pem, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
        throw new IllegalArgumentException("trustedCertificates must be a PEM file of CA"
            + " certificates, got '" + pemFile + "' without a BEGIN CERTIFICATE line");
      }
      try {
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(pem));
      } catch (CertificateException e) {
        throw new IllegalArgumentException("trustedCertificates must be a PEM file of CA"
            + " certificates, got '" + pemFile + "' with an invalid certificate: "
            + e.getMessage(), e);
      }
    }

    /**
     * Sets the password that the store sends to each sentinel of a {@code redis-sentinel://}
     * URI, for sentinels with {@code requirepass}. The password in the URI itself is sent only
     * to the master, as Lettuce 6.8 reads a Sentinel URI, and a Sentinel URI has no place for
     * a sentinel's password. {@link #build()} sets it on every sentinel of the URI, also on
     * those of a {@link RedisURI} given to {@link #uri(RedisURI)}.
     */
    public Builder sentinelPassword(String password) {
      this.sentinelPassword = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * Sets {@link #sentinelPassword} on each sentinel of the URI.
     *
     * @throws IllegalStateException if a sentinel password is set but the store does not
     *     connect through sentinels
     */
    private void applySentinelPassword() {
      if (sentinelPassword == null) {
        return;
      }
      if (clusterSeeds != null || uri.getSentinels().isEmpty()) {
        String target = clusterSeeds == null ? "'" + mask(uri) + "'" : maskSeeds(clusterSeeds);
        throw new IllegalStateException("sentinelPassword (sentinel_password in sluice serve)"
            + " needs a redis-sentinel:// or rediss-sentinel:// uri, got " + target);
      }
      for (RedisURI sentinel : uri.getSentinels()) {
        sentinel.setPassword(sentinelPassword.toCharArray());
      }
    }

    /** Sets the monotonic clock of the circuit breaker; for tests. */
    Builder breakerClock(LongSupplier breakerClock) {
      this.breakerClock = Objects.requireNonNull(breakerClock, "breakerClock");
      return this;
    }

    private static Duration positive(Duration duration, String name) {
      Objects.requireNonNull(duration, name);
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + duration);
      }
      return duration;
    }

    /**
     * Writes keys without an expiry. Only for tests on a fake clock: Redis expires keys on its
     * own clock, which would forget state that the fake clock still considers live.
     */
    Builder withoutExpiry() {
      this.expireKeys = false;
      return this;
    }

    /**
     * Connects and loads the script.
     *
     * @throws io.lettuce.core.RedisConnectionException if the server cannot be reached, the
     *     TLS handshake fails or the server rejects the user name or password. The message
     *     names the URI with its credentials masked.
     * @throws IllegalStateException if a {@link #sentinelPassword} is set but the store does
     *     not connect through sentinels
     * @throws io.lettuce.core.RedisException if {@code SCRIPT LOAD} fails, if the server is a
     *     read-only replica, or if the warm-up decision fails because the ACL user lacks a
     *     permission. The message names what to change. A warm-up decision that times out or
     *     fails otherwise does not fail the build.
     */
    public RedisStore build() {
      applySentinelPassword();
      return new RedisStore(this);
    }
  }
}
