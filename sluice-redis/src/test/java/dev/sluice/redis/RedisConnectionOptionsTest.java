package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.RateLimiter;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The URI forms and connection options of {@link RedisStore} against real servers: a password,
 * an ACL user, a database number and TLS with a private certificate authority.
 */
class RedisConnectionOptionsTest {

  // Generous, so that a busy machine never turns a decision into a failure-mode decision.
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.FIXED_WINDOW, 3, Duration.ofHours(1)));

  @Test
  void build_requirePassAndRightPassword_decides() {
    try (RedisServer server = RedisServer.start("--requirepass", "secret");
        RedisStore store = store("redis://:secret@127.0.0.1:" + server.port())) {
      assertThat(admitted(store, 5)).isEqualTo(3);
    }
  }

  @Test
  void build_wrongPassword_failsWithoutPassword() {
    try (RedisServer server = RedisServer.start("--requirepass", "secret")) {
      String uri = "redis://:not-the-secret@127.0.0.1:" + server.port();

      assertThatThrownBy(() -> store(uri))
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("authentication failed for redis://***@127.0.0.1:"
              + server.port() + "/0: ")
          .hasMessageContaining("check the user name and password")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-secret"));
    }
  }

  @Test
  void build_sentinelUriOnPlainServer_saysToCheckTheSentinels() {
    try (RedisServer server = RedisServer.start()) {
      String uri = "redis-sentinel://127.0.0.1:" + server.port() + "#mymaster";

      assertThatThrownBy(() -> store(uri))
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("failed to find the master through the sentinels of"
              + " redis-sentinel://127.0.0.1:" + server.port())
          .hasMessageContaining(": a sentinel replied ERR unknown command 'SENTINEL'")
          .hasMessageContaining("is a Redis Sentinel, not a Redis server")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("timed out"));
    }
  }

  @Test
  void build_requirePassWithoutPassword_failsWithAuthentication() {
    try (RedisServer server = RedisServer.start("--requirepass", "secret")) {
      assertThatThrownBy(() -> store(server.uri()))
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("authentication failed for redis://127.0.0.1:"
              + server.port() + "/0: ");
    }
  }

  @Test
  void build_aclUser_writesKeysAsThatUser() {
    // alice may touch only keys under "alice:" and the default user is off, so only a
    // connection as alice can have written them.
    try (RedisServer server = RedisServer.start(
        "--user", "alice", "on", ">pw", "~alice:*", "&*", "+@all",
        "--user", "default", "off");
        RedisStore store = RedisStore.builder()
            .uri("redis://alice:pw@127.0.0.1:" + server.port())
            .keyPrefix("alice")
            .commandTimeout(TIMEOUT)
            .onFailure(FailureMode.DENY)
            .build()) {
      assertThat(admitted(store, 5)).isEqualTo(3);

      RedisURI asAlice = RedisURI.create("redis://alice:pw@127.0.0.1:" + server.port());
      List<String> keys = withCommands(asAlice, commands -> commands.keys("*"));
      assertThat(keys).hasSize(1);
      assertThat(keys.get(0)).startsWith("alice:{api:user-1}:");
    }
  }

  @Test
  void build_wrongAclPassword_failsWithoutPassword() {
    try (RedisServer server = RedisServer.start("--user", "alice", "on", ">pw", "~*", "&*",
        "+@all")) {
      String uri = "redis://alice:wrong-pw@127.0.0.1:" + server.port();

      assertThatThrownBy(() -> store(uri))
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("authentication failed for redis://***@127.0.0.1:")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-pw"));
    }
  }

  @Test
  void build_databaseThree_writesOnlyDatabaseThree() {
    try (RedisServer server = RedisServer.start();
        RedisStore store = store(server.uri() + "/3")) {
      assertThat(admitted(store, 5)).isEqualTo(3);

      // One fixed-window limit on one user key is one hash.
      assertThat(dbSize(server, 3)).isEqualTo(1);
      assertThat(dbSize(server, 0)).isZero();
    }
  }

  @Test
  void build_tlsWithTrustedCa_decides(@TempDir Path dir) {
    TestCertificates certificates = TestCertificates.create(dir);
    try (RedisServer server = RedisServer.startTls(certificates.certificate(),
        certificates.privateKey(), certificates.caCertificate());
        RedisStore store = RedisStore.builder()
            .uri("rediss://127.0.0.1:" + server.port())
            .trustedCertificates(certificates.caCertificate())
            .commandTimeout(TIMEOUT)
            .onFailure(FailureMode.DENY)
            .build()) {
      assertThat(admitted(store, 5)).isEqualTo(3);
      assertThat(store.uri()).isEqualTo("rediss://127.0.0.1:" + server.port() + "/0");
    }
  }

  @Test
  void build_tlsWithoutTrustedCa_failsNamingCertificate(@TempDir Path dir) {
    TestCertificates certificates = TestCertificates.create(dir);
    try (RedisServer server = RedisServer.startTls(certificates.certificate(),
        certificates.privateKey(), certificates.caCertificate())) {
      String uri = "rediss://user:tls-secret@127.0.0.1:" + server.port();

      assertThatThrownBy(() -> store(uri))
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("TLS handshake with rediss://***@127.0.0.1:" + server.port()
              + "/0 failed: ")
          .hasMessageContaining("certification path")
          .hasMessageContaining("trustedCertificates")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("tls-secret"));
    }
  }

  @Test
  void build_certificateForOtherHost_failsHostCheck(@TempDir Path dir) {
    // The CA is trusted, but the certificate names another host than the URI's 127.0.0.1.
    TestCertificates certificates = TestCertificates.create(dir, "DNS:redis.example");
    try (RedisServer server = RedisServer.startTls(certificates.certificate(),
        certificates.privateKey(), certificates.caCertificate())) {
      String uri = "rediss://127.0.0.1:" + server.port();

      assertThatThrownBy(() -> RedisStore.builder()
          .uri(uri)
          .trustedCertificates(certificates.caCertificate())
          .commandTimeout(TIMEOUT)
          .build())
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("TLS handshake with " + uri + "/0 failed: ")
          .hasMessageContaining("127.0.0.1");
    }
  }

  @Test
  void build_tlsUriOnPlainPort_advisesTlsPort() {
    try (RedisServer server = RedisServer.start()) {
      String uri = "rediss://127.0.0.1:" + server.port() + "?timeout=1s";

      assertThatThrownBy(() -> store(uri))
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("failed to connect to rediss://127.0.0.1:" + server.port())
          .hasMessageEndingWith("or check that the server at this address is Redis, serves TLS"
              + " on this port (tls-port in redis.conf) and responds");
    }
  }

  @Test
  void build_redisUriOnTlsPort_failsNamingUri(@TempDir Path dir) {
    TestCertificates certificates = TestCertificates.create(dir);
    try (RedisServer server = RedisServer.startTls(certificates.certificate(),
        certificates.privateKey(), certificates.caCertificate())) {
      assertThatThrownBy(() -> store(server.uri()))
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageContaining("redis://127.0.0.1:" + server.port() + "/0")
          .hasMessageContaining("use rediss://");
    }
  }

  /**
   * A listener that accepts connections (the kernel completes the TCP handshake) but never
   * replies, so Lettuce's handshake always outlasts the URI's timeout.
   */
  @Test
  void build_handshakeBeyondUriTimeout_saysToRaiseTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String uri = "redis://127.0.0.1:" + silent.getLocalPort() + "?timeout=200ms";

      assertThatThrownBy(() -> store(uri))
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("failed to connect to redis://127.0.0.1:"
              + silent.getLocalPort() + "/0: ")
          .hasMessageContaining("Connection initialization timed out after 200 millisecond(s)")
          .hasMessageEndingWith("; connecting and the handshake must finish within the URI's"
              + " timeout of 200ms, so raise it with timeout= in the URI, such as timeout=1s,"
              + " or check that the server at this address is Redis and responds");
    }
  }

  @Test
  void trustedCertificates_missingFile_namesFile(@TempDir Path dir) {
    Path missing = dir.resolve("no-such-ca.pem");

    assertThatThrownBy(() -> RedisStore.builder().trustedCertificates(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("trustedCertificates must be a readable PEM file of CA"
            + " certificates, got '" + missing + "': ")
        .hasMessageContaining("NoSuchFileException");
  }

  @Test
  void trustedCertificates_fileWithoutCertificate_isRejected(@TempDir Path dir)
      throws Exception {
    Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate\n");

    assertThatThrownBy(() -> RedisStore.builder().trustedCertificates(notPem))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("trustedCertificates must be a PEM file of CA certificates, got '" + notPem
            + "' without a BEGIN CERTIFICATE line");
  }

  @Test
  void trustedCertificates_corruptCertificate_isRejected(@TempDir Path dir) throws Exception {
    Path corrupt = Files.writeString(dir.resolve("ca.pem"),
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");

    assertThatThrownBy(() -> RedisStore.builder().trustedCertificates(corrupt))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("trustedCertificates must be a PEM file of CA certificates, got '"
            + corrupt + "' with an invalid certificate: ");
  }

  private static RedisStore store(String uri) {
    return RedisStore.builder()
        .uri(uri)
        .commandTimeout(TIMEOUT)
        .onFailure(FailureMode.DENY)
        .build();
  }

  /** Makes {@code requests} decisions of cost 1 on one key and counts the admitted ones. */
  private static long admitted(RedisStore store, int requests) {
    RateLimiter limiter = RateLimiter.builder(POLICY).store(store).build();
    return IntStream.range(0, requests)
        .filter(i -> limiter.tryAcquire("user-1", 1).allowed())
        .count();
  }

  private static long dbSize(RedisServer server, int database) {
    RedisURI uri = RedisURI.create(server.uri());
    uri.setDatabase(database);
    return withCommands(uri, RedisCommands::dbsize);
  }

  private static <T> T withCommands(
      RedisURI uri, Function<RedisCommands<String, String>, T> action) {
    RedisClient client = RedisClient.create(uri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      return action.apply(connection.sync());
    } finally {
      client.shutdown();
    }
  }
}
