package dev.sluice.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

/**
 * A throwaway Redis Cluster of masters, with replicas only where {@link #addReplica} adds them,
 * each a {@link RedisServer} on a free
 * port of 127.0.0.1, and also of {@code ::1} when started by {@link #startOnIpv6Loopback}. The
 * nodes may require a password ({@link #startWithPassword}) and accept only TLS
 * ({@link #startTls}), also between nodes. The
 * slots are split into equal ranges by {@code CLUSTER ADDSLOTS} and the nodes joined by
 * {@code CLUSTER MEET}, which needs no {@code redis-cli} and works on Redis 6.2 as on 7.
 *
 * <p>Public so that other modules can use it through this module's test jar.
 */
public final class RedisCluster implements AutoCloseable {

  private static final int SLOTS = 16_384;
  private static final long READY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final List<RedisServer> nodes = new ArrayList<>();
  private final List<RedisServer> replicas = new ArrayList<>();
  /** The options every node was started with, for replicas added later. */
  private List<String> nodeOptions = List.of();
  private final RedisClient client = RedisClient.create();
  private final List<RedisCommands<String, String>> commands = new ArrayList<>();
  /** The address through which the nodes meet and which they report in the slot map. */
  private final String host;
  /** The password of the default user, or null when the nodes require none. */
  private final String password;
  /** The certificates of TLS-only nodes, or null for nodes without TLS. */
  private final TestCertificates certificates;

  private RedisCluster(String host, String password, TestCertificates certificates) {
    this.host = host;
    this.password = password;
    this.certificates = certificates;
    if (certificates != null) {
      client.setOptions(ClientOptions.builder().sslOptions(SslOptions.builder().jdkSslProvider()
          .trustManager(certificates.caCertificate().toFile()).build()).build());
    }
  }

  /** Starts the masters and returns once every node reports {@code cluster_state:ok}. */
  public static RedisCluster start(int masters) {
    return start(new RedisCluster("127.0.0.1", null, null), masters, List.of());
  }

  /**
   * Starts masters whose default user requires {@code password} ({@code requirepass}, and
   * {@code masterauth} for replicas added later), with more node options such as
   * {@code --user} ACL rules; returns once every node reports {@code cluster_state:ok}.
   */
  public static RedisCluster startWithPassword(
      int masters, String password, String... nodeOptions) {
    List<String> options = new ArrayList<>(passwordOptions(password));
    options.addAll(List.of(nodeOptions));
    return start(new RedisCluster("127.0.0.1", password, null), masters, options);
  }

  /**
   * Starts masters that accept clients and each other only over TLS with
   * {@code certificates} ({@code tls-cluster yes}, {@code tls-replication yes}), whose default
   * user requires {@code password}; returns once every node reports {@code cluster_state:ok}.
   */
  public static RedisCluster startTls(
      int masters, TestCertificates certificates, String password) {
    List<String> options = new ArrayList<>(passwordOptions(password));
    options.addAll(List.of("--tls-cluster", "yes", "--tls-replication", "yes"));
    return start(new RedisCluster("127.0.0.1", password, certificates), masters, options);
  }

  private static List<String> passwordOptions(String password) {
    return List.of("--requirepass", password, "--masterauth", password);
  }

  /**
   * Starts the masters listening on {@code ::1} as well as 127.0.0.1, joined through
   * {@code ::1} and announcing it, so that the slot map names every node by its IPv6 address;
   * returns once every node reports {@code cluster_state:ok}.
   */
  public static RedisCluster startOnIpv6Loopback(int masters) {
    return start(new RedisCluster("::1", null, null), masters,
        List.of("--bind", "127.0.0.1", "::1", "--cluster-announce-ip", "::1"));
  }

  private static RedisCluster start(
      RedisCluster cluster, int masters, List<String> nodeOptions) {
    List<String> options = new ArrayList<>(List.of("--cluster-enabled", "yes",
        "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"));
    options.addAll(nodeOptions);
    cluster.nodeOptions = options;
    try {
      for (int i = 0; i < masters; i++) {
        RedisServer node = cluster.startNode(options.toArray(String[]::new));
        cluster.nodes.add(node);
        cluster.commands.add(cluster.client.connect(cluster.adminUri(node)).sync());
      }
      cluster.assignSlots();
      cluster.awaitOk();
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private RedisServer startNode(String... options) {
    return certificates == null
        ? RedisServer.start(options)
        : RedisServer.startTls(certificates.certificate(), certificates.privateKey(),
            certificates.caCertificate(), options);
  }

  private RedisURI adminUri(RedisServer node) {
    RedisURI.Builder uri = RedisURI.Builder.redis("127.0.0.1", node.port())
        .withSsl(certificates != null);
    if (password != null) {
      uri.withPassword(password.toCharArray());
    }
    return uri.build();
  }

  /**
   * Returns the seed URI of all nodes without credentials, such as
   * {@code redis://127.0.0.1:40001,127.0.0.1:40002}, or {@code rediss://...} for TLS nodes.
   */
  public String seeds() {
    return seeds("");
  }

  /**
   * Returns the seed URI of all nodes with {@code userInfo} before the hosts, such as
   * {@code redis://:secret@127.0.0.1:40001,127.0.0.1:40002} for {@code ":secret@"}.
   */
  public String seeds(String userInfo) {
    List<String> addresses = nodes.stream().map(node -> "127.0.0.1:" + node.port()).toList();
    String scheme = certificates == null ? "redis://" : "rediss://";
    return scheme + userInfo + String.join(",", addresses);
  }

  /**
   * Returns the URI of each node on the address the nodes meet through, in start order, such
   * as {@code redis://127.0.0.1:40001} or {@code redis://[::1]:40001}.
   */
  public List<String> nodeUris() {
    String uriHost = host.contains(":") ? "[" + host + "]" : host;
    return nodes.stream().map(node -> "redis://" + uriHost + ":" + node.port()).toList();
  }

  /** Returns a connection to each node, in start order; node i serves the i-th slot range. */
  List<RedisCommands<String, String>> nodeCommands() {
    return commands;
  }

  /**
   * Returns the connection to the master that serves the slot of a key now: the only one that
   * runs a command on the key instead of redirecting it with MOVED.
   */
  RedisCommands<String, String> masterOf(String key) {
    for (RedisCommands<String, String> node : commands) {
      try {
        node.exists(key);
        return node;
      } catch (RedisCommandExecutionException moved) {
        // Another master serves the slot.
      }
    }
    throw new IllegalStateException("no master serves the key " + key);
  }

  /**
   * Starts a replica of master {@code master} (in start order) and returns a connection to it
   * once it has joined the cluster and copied the master's data.
   */
  RedisCommands<String, String> addReplica(int master) {
    RedisServer node = startNode(nodeOptions.toArray(String[]::new));
    replicas.add(node);
    RedisCommands<String, String> replica = client.connect(adminUri(node)).sync();
    commands.get(0).clusterMeet(host, node.port());
    String known = "cluster_known_nodes:" + (nodes.size() + replicas.size());
    awaitTrue(() -> replica.clusterInfo().contains(known), "the replica joins the cluster");
    replica.clusterReplicate(commands.get(master).clusterMyId());
    awaitTrue(() -> replica.info("replication").contains("master_link_status:up"),
        "the replica copies its master");
    return replica;
  }

  /** Kills master {@code node} (in start order), as a crash would. */
  void kill(int node) {
    nodes.get(node).kill();
  }

  /**
   * Freezes master {@code node} (in start order) with SIGSTOP, as a hung process or a host
   * that is gone looks: connections open, nothing replies.
   */
  void freeze(int node) {
    nodes.get(node).freeze();
  }

  private static void awaitTrue(BooleanSupplier condition, String description) {
    long deadline = System.nanoTime() + READY_TIMEOUT_NANOS;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting until " + description);
      }
      pause();
    }
  }

  /** Returns the first slot of the range that node i serves. */
  private int firstSlot(int node) {
    return (int) ((long) SLOTS * node / nodes.size());
  }

  private void assignSlots() {
    int masters = nodes.size();
    for (int i = 0; i < masters; i++) {
      commands.get(i).clusterAddSlots(IntStream.range(firstSlot(i), firstSlot(i + 1)).toArray());
    }
    for (int i = 1; i < masters; i++) {
      commands.get(0).clusterMeet(host, nodes.get(i).port());
    }
  }

  private void awaitOk() {
    long deadline = System.nanoTime() + READY_TIMEOUT_NANOS;
    String known = "cluster_known_nodes:" + nodes.size();
    for (RedisCommands<String, String> node : commands) {
      String info = node.clusterInfo();
      while (!info.contains("cluster_state:ok") || !info.contains(known)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cluster not ready within 60 s; CLUSTER INFO: " + info);
        }
        pause();
        info = node.clusterInfo();
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the cluster", e);
    }
  }

  /** Stops every node. */
  @Override
  public void close() {
    client.shutdown();
    replicas.forEach(RedisServer::close);
    nodes.forEach(RedisServer::close);
  }
}
