package dev.sluice.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway Sentinel group on 127.0.0.1: a master and one replica whose default user
 * requires a password ({@code requirepass}, and {@code masterauth} for replication), and
 * sentinels that monitor the master as {@link #MASTER_NAME} with that password
 * ({@code sentinel auth-pass}). {@link #startWithPasswords} starts one sentinel without a
 * password of its own and one with {@code requirepass}. {@link #startTls} starts TLS-only nodes
 * and one TLS-only sentinel with {@code requirepass}. Start methods return once the replica has
 * finished its first sync.
 *
 * <p>Public so that other modules can use it through this module's test jar.
 */
public final class SentinelGroup implements AutoCloseable {

  public static final String MASTER_NAME = "mymaster";
  private static final long SYNC_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final List<RedisServer> servers = new ArrayList<>();
  private final RedisClient client = RedisClient.create();
  private final String dataPassword;
  private final TestCertificates certificates;
  private RedisServer master;
  private RedisServer replica;
  private final List<RedisServer> sentinels = new ArrayList<>();

  private SentinelGroup(String dataPassword, TestCertificates certificates) {
    this.dataPassword = dataPassword;
    this.certificates = certificates;
    if (certificates != null) {
      client.setOptions(ClientOptions.builder().sslOptions(SslOptions.builder().jdkSslProvider()
          .trustManager(certificates.caCertificate().toFile()).build()).build());
    }
  }

  /**
   * Starts the master and replica with {@code dataPassword}, then sentinel 0 without a
   * password and sentinel 1 with {@code requirepass sentinelPassword}.
   */
  public static SentinelGroup startWithPasswords(String dataPassword, String sentinelPassword) {
    SentinelGroup group = new SentinelGroup(dataPassword, null);
    try {
      List<String> auth = List.of("--requirepass", dataPassword, "--masterauth", dataPassword);
      group.master = group.track(RedisServer.start(auth.toArray(String[]::new)));
      group.replica = group.track(RedisServer.start(withReplicaOf(auth, group.master)));
      String authPass = "sentinel auth-pass " + MASTER_NAME + " " + dataPassword;
      group.sentinels.add(group.track(
          RedisServer.startSentinel(MASTER_NAME, group.master.port(), authPass)));
      group.sentinels.add(group.track(RedisServer.startSentinel(MASTER_NAME,
          group.master.port(), authPass, "requirepass " + sentinelPassword)));
      group.awaitReplicaSync();
      return group;
    } catch (RuntimeException e) {
      group.close();
      throw e;
    }
  }

  /**
   * Starts a TLS-only master and replica with {@code dataPassword} that replicate over TLS,
   * and sentinel 0, TLS-only too, with {@code requirepass sentinelPassword}.
   */
  public static SentinelGroup startTls(
      TestCertificates certificates, String dataPassword, String sentinelPassword) {
    SentinelGroup group = new SentinelGroup(dataPassword, certificates);
    try {
      List<String> options = List.of("--requirepass", dataPassword, "--masterauth",
          dataPassword, "--tls-replication", "yes");
      group.master = group.track(group.startTlsNode(options.toArray(String[]::new)));
      group.replica = group.track(group.startTlsNode(withReplicaOf(options, group.master)));
      group.sentinels.add(group.track(RedisServer.startTlsSentinel(MASTER_NAME,
          group.master.port(), certificates,
          "sentinel auth-pass " + MASTER_NAME + " " + dataPassword,
          "requirepass " + sentinelPassword)));
      group.awaitReplicaSync();
      return group;
    } catch (RuntimeException e) {
      group.close();
      throw e;
    }
  }

  /** Returns the address of sentinel {@code index}, such as {@code 127.0.0.1:40123}. */
  public String sentinelAddress(int index) {
    return "127.0.0.1:" + sentinels.get(index).port();
  }

  /** Returns a connection to the master as the default user. */
  public RedisCommands<String, String> masterCommands() {
    return client.connect(adminUri(master)).sync();
  }

  private RedisServer startTlsNode(String... options) {
    return RedisServer.startTls(certificates.certificate(), certificates.privateKey(),
        certificates.caCertificate(), options);
  }

  private static String[] withReplicaOf(List<String> options, RedisServer master) {
    List<String> all = new ArrayList<>(options);
    all.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(master.port())));
    return all.toArray(String[]::new);
  }

  private RedisURI adminUri(RedisServer server) {
    return RedisURI.Builder.redis("127.0.0.1", server.port())
        .withSsl(certificates != null)
        .withPassword(dataPassword.toCharArray())
        .build();
  }

  private void awaitReplicaSync() {
    RedisCommands<String, String> commands = client.connect(adminUri(replica)).sync();
    long deadline = System.nanoTime() + SYNC_TIMEOUT_NANOS;
    while (!commands.info("replication").contains("master_link_status:up")) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the replica did not finish its first sync within 60 s");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the replica", e);
      }
    }
  }

  private RedisServer track(RedisServer server) {
    servers.add(server);
    return server;
  }

  /** Stops the sentinels first, so that they start no failover, then the replica and master. */
  @Override
  public void close() {
    client.shutdown();
    for (int i = servers.size() - 1; i >= 0; i--) {
      servers.get(i).close();
    }
  }
}
