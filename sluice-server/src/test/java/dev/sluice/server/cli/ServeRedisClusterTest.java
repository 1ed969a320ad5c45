package dev.sluice.server.cli;

import static dev.sluice.server.cli.ServeFixture.start;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.redis.RedisCluster;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice serve} on a Redis Cluster of three masters on 127.0.0.1, and in one test on
 * {@code ::1}, over real HTTP. Every key gets a fixed window of 5 per hour, so exactly 5 of 7
 * requests per key are admitted within the test, wherever the key's slot lives.
 */
class ServeRedisClusterTest {

  private static final int LIMIT = 5;
  private static final int REQUESTS_PER_KEY = 7;

  private static RedisCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = RedisCluster.start(3);
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Test
  void check_clusterConfig_admitsLimitPerKey(@TempDir Path dir)
      throws Exception {
    List<String> seeds = cluster.nodeUris();
    Path config = dir.resolve("config.yaml");
    // A generous timeout, so that a busy machine never turns a decision into a fallback, and
    // deny on failure, so that a fallback lowers the admitted count and fails the test.
    Files.writeString(config, """
        store:
          type: redis
          cluster: [%s]
          key_prefix: config
          command_timeout: 500ms
          on_failure: deny
        """.formatted(String.join(", ", seeds)) + windowPolicy());
    List<String> keys = keys("config-key-", 12);
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config", config.toString())) {
      for (String key : keys) {
        assertThat(admitted(service.port(), key)).as("admitted for " + key).isEqualTo(LIMIT);
      }
    }

    assertThat(stderr.text())
        .contains("store=redis cluster=" + String.join(",", seeds) + " key_prefix=config");
    for (String seed : seeds) {
      assertThat(keysOn(seed, "config:*")).as("keys on " + seed).isPositive();
    }
  }

  @Test
  void check_clusterOption_admitsLimitPerKey(@TempDir Path dir)
      throws Exception {
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, """
        store:
          type: redis
          uri: redis://127.0.0.1:1
          key_prefix: option
          command_timeout: 500ms
          on_failure: deny
        """ + windowPolicy());
    String seeds = String.join(",", cluster.nodeUris());
    try (SluiceService service =
        start("--config", config.toString(), "--redis-cluster", seeds)) {
      for (String key : keys("option-key-", 6)) {
        assertThat(admitted(service.port(), key)).as("admitted for " + key).isEqualTo(LIMIT);
      }
    }
  }

  @Test
  void check_storeWithoutSeeds_usesClusterOption(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("config.yaml");
    // No uri or cluster: --redis-cluster names the seeds, and the other fields still apply.
    Files.writeString(config, """
        store:
          type: redis
          key_prefix: fleet
          command_timeout: 500ms
          on_failure: deny
        """ + windowPolicy());
    String seeds = String.join(",", cluster.nodeUris());
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service =
        start("--config", config.toString(), "--redis-cluster", seeds)) {
      for (String key : keys("fleet-key-", 6)) {
        assertThat(admitted(service.port(), key)).as("admitted for " + key).isEqualTo(LIMIT);
      }
    }

    assertThat(stderr.text()).contains("store=redis cluster=" + seeds + " key_prefix=fleet"
        + " command_timeout_ms=500 on_failure=deny ");
  }

  @Test
  void check_ipv6ClusterConfig_admitsLimitPerKey(@TempDir Path dir) throws Exception {
    assumeTrue(ipv6LoopbackBindable(), "::1 cannot be bound on this machine");
    try (RedisCluster ipv6Cluster = RedisCluster.startOnIpv6Loopback(3)) {
      List<String> seeds = ipv6Cluster.nodeUris();
      Path config = dir.resolve("config.yaml");
      // Quoted, because a bracket starts a flow sequence in YAML.
      String seedLines = seeds.stream()
          .map(seed -> "    - '" + seed + "'\n")
          .collect(Collectors.joining());
      Files.writeString(config, "store:\n  type: redis\n  cluster:\n" + seedLines
          + "  command_timeout: 500ms\n  on_failure: deny\n" + windowPolicy());
      StderrCapture stderr = new StderrCapture();
      try (stderr; SluiceService service = start("--config", config.toString())) {
        for (String key : keys("ipv6-key-", 6)) {
          assertThat(admitted(service.port(), key)).as("admitted for " + key).isEqualTo(LIMIT);
        }
      }

      assertThat(seeds).allSatisfy(seed -> assertThat(seed).startsWith("redis://[::1]:"));
      assertThat(stderr.text())
          .contains("store=redis cluster=" + String.join(",", seeds) + " key_prefix=sluice");
    }
  }

  private static boolean ipv6LoopbackBindable() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
      return socket.isBound();
    } catch (IOException e) {
      return false;
    }
  }

  private static String windowPolicy() {
    return """
        policies:
          window:
            limits: [{algorithm: fixed_window, limit: %d, period: 1h}]
        """.formatted(LIMIT);
  }

  private static List<String> keys(String prefix, int count) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      keys.add(prefix + i);
    }
    return keys;
  }

  /** Sends the requests of one key and returns how many were admitted by Redis. */
  private int admitted(int port, String key) throws Exception {
    int admitted = 0;
    for (int i = 0; i < REQUESTS_PER_KEY; i++) {
      String body = check(port, key);
      assertThat(body).doesNotContain("fallback");
      if (body.contains("\"allowed\":true")) {
        admitted++;
      }
    }
    return admitted;
  }

  /** Counts the keys matching {@code pattern} on one node, which may hold only its slots. */
  private static long keysOn(String nodeUri, String pattern) {
    RedisClient redis = RedisClient.create(RedisURI.create(nodeUri));
    try (StatefulRedisConnection<String, String> connection = redis.connect()) {
      return connection.sync().keys(pattern).size();
    } finally {
      redis.shutdown();
    }
  }

  private static String check(int port, String key) throws Exception {
    return ServeFixture.check(port, "window", key);
  }
}
