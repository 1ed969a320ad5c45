package dev.sluice.server.cli;

import static dev.sluice.server.cli.ServeFixture.checkResponse;
import static dev.sluice.server.cli.ServeFixture.start;
import static dev.sluice.server.cli.ServeFixture.tinyPolicy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.redis.RedisServer;
import dev.sluice.redis.TestCertificates;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice serve --redis} against a real Redis on 127.0.0.1, over real HTTP. */
class ServeRedisTest {

  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10))
      .build();
  private RedisServer redis;

  @BeforeEach
  void startRedis() {
    redis = RedisServer.start();
  }

  @AfterEach
  void stopRedis() {
    redis.close();
  }

  @Test
  void start_redisOption_sharesStateBetweenTwoServers(@TempDir Path dir) throws Exception {
    // A generous timeout, so that a busy machine never turns a decision into a fallback.
    Path config = tinyPolicy(dir, """
        store:
          type: redis
          uri: redis://127.0.0.1:1
          command_timeout: 30s
        """);
    try (SluiceService first = start("--config", config.toString(), "--redis", redis.uri());
        SluiceService second = start("--config", config.toString(), "--redis", redis.uri())) {
      String admitted = check(first.port());
      String denied = check(second.port());

      // One unit per hour in all: the second server sees the first one's admission.
      assertThat(admitted).contains("\"allowed\":true").doesNotContain("fallback");
      assertThat(denied).contains("\"allowed\":false").doesNotContain("fallback");
    }
  }

  @Test
  void reloadIfChanged_largestSlidingLog_decidesOnRedis(@TempDir Path dir) throws Exception {
    String store = "store:\n  type: redis\n  uri: " + redis.uri() + "\n  command_timeout: 30s\n";
    Path config = tinyPolicy(dir, store);
    try (SluiceService service = start("--config", config.toString())) {
      Files.writeString(config, store + "policies:\n  audit:\n    limits:\n"
          + "      - {algorithm: sliding_log, limit: 100000, period: 1h}\n");

      boolean reloaded = service.reloadIfChanged();

      assertThat(reloaded).isTrue();
      assertThat(check(service.port(), "audit", "k")).contains("\"allowed\":true")
          .contains("\"remaining\":99999").doesNotContain("fallback");
    }
  }

  @Test
  void start_tlsCaFile_decidesOverTls(@TempDir Path dir) throws Exception {
    TestCertificates certificates = TestCertificates.create(dir);
    try (RedisServer tls = RedisServer.startTls(certificates.certificate(),
        certificates.privateKey(), certificates.caCertificate())) {
      Path config = tinyPolicy(dir, """
          store:
            type: redis
            uri: rediss://127.0.0.1:%d
            tls_ca_file: %s
            command_timeout: 30s
          """.formatted(tls.port(), certificates.caCertificate()));
      try (SluiceService service = start("--config", config.toString())) {
        String admitted = check(service.port());
        String denied = check(service.port());

        // One unit per hour: the second request of the key is denied.
        assertThat(admitted).contains("\"allowed\":true").doesNotContain("fallback");
        assertThat(denied).contains("\"allowed\":false").doesNotContain("fallback");
      }
    }
  }

  @Test
  void execute_tlsWithoutCaFile_exits1NamingCertificate(@TempDir Path dir) throws Exception {
    TestCertificates certificates = TestCertificates.create(dir);
    try (RedisServer tls = RedisServer.startTls(certificates.certificate(),
        certificates.privateKey(), certificates.caCertificate())) {
      Path config = tinyPolicy(dir, """
          store:
            type: redis
            uri: rediss://:tls-secret@127.0.0.1:%d
          """.formatted(tls.port()));
      StringWriter err = new StringWriter();
      CommandLine main = Main.commandLine();
      main.setErr(new PrintWriter(err, true));

      int exitCode = main.execute("serve", "--config", config.toString(), "--port", "0");

      assertThat(exitCode).isEqualTo(1);
      assertThat(err.toString())
          .contains("TLS handshake with rediss://***@127.0.0.1:" + tls.port() + "/0 failed: ")
          .contains("unable to find valid certification path")
          .doesNotContain("tls-secret");
    }
  }

  @Test
  @Timeout(60)
  void execute_aclUserWithoutKeys_exits1NamingAcl(@TempDir Path dir) throws Exception {
    try (RedisServer restricted = RedisServer.start("--user", "bob", "on", ">pw", "~other:*",
        "+@all", "--user", "default", "off")) {
      Path config = tinyPolicy(dir, """
          store:
            type: redis
            uri: redis://bob:pw@127.0.0.1:%d
          """.formatted(restricted.port()));
      StringWriter err = new StringWriter();
      CommandLine main = Main.commandLine();
      main.setErr(new PrintWriter(err, true));

      int exitCode = main.execute("serve", "--config", config.toString(), "--port", "0");

      assertThat(exitCode).isEqualTo(1);
      assertThat(err.toString())
          .startsWith("sluice serve failed to start its store: ")
          .contains("the warm-up decision on redis://***@127.0.0.1:" + restricted.port()
              + "/0 failed: ")
          .contains("NOPERM")
          .contains("; grant the Redis ACL user of the URI the keys and commands that the"
              + " store needs, such as with ACL SETUSER <user> ~")
          .doesNotContain("pw@");
    }
  }

  @Test
  void start_caFileWithoutTls_warns(@TempDir Path dir) throws Exception {
    Path ca = TestCertificates.create(dir).caCertificate();
    Path config = tinyPolicy(dir, """
        store:
          type: redis
          uri: %s
          tls_ca_file: %s
        """.formatted(redis.uri(), ca));
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config", config.toString())) {
      assertThat(service.port()).isPositive();
    }

    String log = stderr.text();
    assertThat(log).contains("tls_ca_file=" + ca + " config=");
    assertThat(log).contains("WARN ServeCommand - tls_ca_file is set but the store connects"
        + " without TLS; use a rediss:// URI to connect over TLS uri=redis://127.0.0.1:"
        + redis.port() + "/0 tls_ca_file=" + ca);
  }

  @Test
  void check_redisDownAndDeny_reportsFailedClosed(@TempDir Path dir) throws Exception {
    Path config = tinyPolicy(dir, """
        store:
          type: redis
          uri: redis://127.0.0.1:1
          on_failure: deny
        """);
    try (SluiceService service = start("--config", config.toString(), "--redis", redis.uri())) {
      redis.kill();

      HttpResponse<String> response = ServeFixture.checkResponse(service.port(), "tiny", "k");

      // Both headers tell the client to come back after the probe interval of 1 s.
      assertThat(response.body())
          .contains("\"allowed\":false", "\"fallback\":\"failed_closed\"");
      assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(response.headers().firstValue("RateLimit")).hasValue("\"1/1h\";r=0;t=1");
    }
  }

  @Test
  void start_redisOption_logsStoreSettings(@TempDir Path dir) throws Exception {
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config", tinyPolicy(dir, "").toString(),
        "--redis", redis.uri())) {
      assertThat(service.port()).isPositive();
    }

    String log = stderr.text();
    assertThat(log).contains("store=redis uri=redis://127.0.0.1:" + redis.port() + "/0"
        + " key_prefix=sluice command_timeout_ms=20 on_failure=allow local_share=1"
        + " time=server");
  }

  @Test
  void start_storeWithoutUri_usesRedisOption(@TempDir Path dir) throws Exception {
    // A generous timeout, so that a busy machine never turns the decision into a fallback.
    Path config =
        tinyPolicy(dir, "store: {type: redis, key_prefix: other, command_timeout: 30s}\n");
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config", config.toString(),
        "--redis", redis.uri()); RedisClient admin = RedisClient.create(redis.uri())) {
      String admitted = check(service.port());

      assertThat(admitted).contains("\"allowed\":true").doesNotContain("fallback");
      assertThat(admin.connect().sync().keys("other:*")).isNotEmpty();
    }

    assertThat(stderr.text()).contains("store=redis uri=redis://127.0.0.1:" + redis.port()
        + "/0 key_prefix=other command_timeout_ms=30000 ");
  }

  @Test
  void reloadIfChanged_storeWithoutUri_usesRedisOption(@TempDir Path dir) throws Exception {
    Path config = tinyPolicy(dir, "store: {type: redis, uri: redis://127.0.0.1:1,"
        + " key_prefix: other}\n");
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service =
        start("--config", config.toString(), "--redis", redis.uri())) {
      rewrite(config, """
          store: {type: redis, key_prefix: other}
          policies:
            renamed:
              limits: [{algorithm: fixed_window, limit: 1, period: 1h}]
          """);
      boolean reloaded = service.reloadIfChanged();

      assertThat(reloaded).isTrue();
      assertThat(get(service.port(), "/v1/policies")).contains("\"name\":\"renamed\"");
    }

    // --redis replaces the uri both times, so the store settings did not change.
    assertThat(stderr.text()).contains("config reloaded file=" + config)
        .doesNotContain("config file changes the store settings");
  }

  @Test
  void start_redisOptionOnCappedMemoryStore_warns(@TempDir Path dir) throws Exception {
    Path config = tinyPolicy(dir, """
        store:
          type: memory
          max_keys: 2
          at_capacity: deny_new_keys
        """);
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config", config.toString(),
        "--redis", redis.uri())) {
      assertThat(service.port()).isPositive();
    }

    assertThat(stderr.text()).contains("WARN ServeCommand - the config's memory store settings"
        + " max_keys=2 at_capacity=deny_new_keys do not apply, because --redis keeps the state"
        + " in Redis; remove them from the config, or serve without --redis");
  }

  @Test
  void start_defaultMemoryStore_noWarning(@TempDir Path dir) throws Exception {
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config",
        tinyPolicy(dir, "store:\n  type: memory\n").toString(), "--redis", redis.uri())) {
      assertThat(service.port()).isPositive();
    }

    assertThat(stderr.text()).doesNotContain("memory store settings");
  }

  @Test
  void check_denyCache_repeatsDenialsWithoutRedis(@TempDir Path dir) throws Exception {
    Path config = tinyPolicy(dir, "store:\n  type: redis\n  uri: " + redis.uri()
        + "\n  command_timeout: 30s\n  deny_cache: true\n");
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config", config.toString());
        RedisClient admin = RedisClient.create(redis.uri())) {
      RedisCommands<String, String> commands = admin.connect().sync();
      String admitted = check(service.port());
      long callsAfterAdmission = evalshaCalls(commands);
      for (int i = 0; i < 20; i++) {
        assertThat(check(service.port())).contains("\"allowed\":false")
            .doesNotContain("fallback");
      }

      assertThat(admitted).contains("\"allowed\":true");
      // The first denial calls Redis; the deny cache repeats it for the other 19.
      assertThat(evalshaCalls(commands) - callsAfterAdmission).isEqualTo(1);
    }
    assertThat(stderr.text()).contains(" time=server deny_cache=true ");
  }

  @Test
  void check_policyModesRedisDown_reportEachFallback(@TempDir Path dir)
      throws Exception {
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, """
        store:
          type: redis
          uri: %s
          command_timeout: 500ms
          on_failure: local
        policies:
          login:
            on_failure: deny
            limits: [{algorithm: fixed_window, limit: 1, period: 1h}]
          search:
            on_failure: allow
            limits: [{algorithm: fixed_window, limit: 1, period: 1h}]
          tiny:
            limits: [{algorithm: fixed_window, limit: 1, period: 1h}]
        """.formatted(redis.uri()));
    try (SluiceService service = start("--config", config.toString())) {
      String policies = get(service.port(), "/v1/policies");
      redis.kill();

      String login = check(service.port(), "login", "k");
      String search = check(service.port(), "search", "k");
      String tiny = check(service.port(), "tiny", "k");

      assertThat(policies).contains("{\"name\":\"login\",\"on_failure\":\"deny\",",
          "{\"name\":\"search\",\"on_failure\":\"allow\",", "{\"name\":\"tiny\",\"limits\"");
      assertThat(login).contains("\"allowed\":false", "\"fallback\":\"failed_closed\"");
      assertThat(search).contains("\"allowed\":true", "\"fallback\":\"failed_open\"");
      // The store's mode: the first request of a key fits the local share of 1 per hour.
      assertThat(tiny).contains("\"allowed\":true", "\"fallback\":\"local_fallback\"");
    }
  }

  @Test
  void check_localFallbackWithShare_headersMatchBody(@TempDir Path dir) throws Exception {
    // A limit of 10 shared by 3 instances: the local fallback admits ceil(10 / 3) = 4 per hour,
    // so the first request leaves 3.
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, """
        store:
          type: redis
          uri: %s
          command_timeout: 500ms
          on_failure: local
          local_share: 3
        policies:
          shared:
            limits: [{algorithm: fixed_window, limit: 10, period: 1h}]
        """.formatted(redis.uri()));
    try (SluiceService service = start("--config", config.toString())) {
      redis.kill();

      HttpResponse<String> response = checkResponse(service.port(), "shared", "k");

      assertThat(response.body()).contains("\"limit\":4,\"remaining\":3,",
          "\"fallback\":\"local_fallback\"");
      assertThat(response.headers().firstValue("RateLimit-Policy"))
          .hasValue("\"10/1h\";q=4;w=3600");
      assertThat(response.headers().firstValue("RateLimit").orElseThrow())
          .startsWith("\"10/1h\";r=3;t=");
    }
  }

  @Test
  void start_policyModes_logsOnlyDifferentModes(@TempDir Path dir)
      throws Exception {
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, """
        store:
          type: redis
          uri: %s
          on_failure: allow
        policies:
          login:
            on_failure: deny
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
          search:
            on_failure: allow
            limits: [{algorithm: gcra, limit: 10, period: 1s}]
        """.formatted(redis.uri()));
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config", config.toString())) {
      assertThat(service.port()).isPositive();
    }

    String log = stderr.text();
    assertThat(log).contains(" on_failure=allow ", "policies=\"login: gcra 5/1m burst 5,"
        + " on_failure deny; search: gcra 10/1s burst 10\"");
  }

  @Test
  void reloadIfChanged_newPolicyMode_applies(@TempDir Path dir) throws Exception {
    String store = "store:\n  type: redis\n  uri: " + redis.uri() + "\n"
        + "  command_timeout: 500ms\n  on_failure: allow\n";
    Path config = tinyPolicy(dir, store);
    try (SluiceService service = start("--config", config.toString())) {
      rewrite(config, store + """
          policies:
            tiny:
              on_failure: deny
              limits: [{algorithm: fixed_window, limit: 1, period: 1h}]
          """);
      boolean reloaded = service.reloadIfChanged();
      redis.kill();

      String body = check(service.port());

      assertThat(reloaded).isTrue();
      assertThat(body).contains("\"allowed\":false", "\"fallback\":\"failed_closed\"");
    }
  }

  @Test
  void reloadIfChanged_lowerLocalShare_namesRunningShare(@TempDir Path dir) throws Exception {
    String store = "store:\n  type: redis\n  uri: " + redis.uri() + "\n"
        + "  on_failure: local\n  local_share: %d\n";
    Path config = tinyPolicy(dir, store.formatted(2));
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config", config.toString())) {
      String before = get(service.port(), "/v1/policies");
      // Valid at local_share 1, where burst 25 at 2 per 2920d recovers in 36500d, but not at
      // the running 2, where the share of burst 13 at 1 per 2920d recovers in 37960d.
      rewrite(config, store.formatted(1) + """
          policies:
            edge:
              limits:
                - {algorithm: token_bucket, limit: 2, period: 2920d, burst: 25}
          """);
      boolean reloaded = service.reloadIfChanged();

      assertThat(reloaded).isFalse();
      assertThat(get(service.port(), "/v1/policies")).isEqualTo(before);
    }

    assertThat(stderr.text()).contains("config reload failed, keeping the running config: "
        + config + ":9: limit '2/2920d' of policy 'edge' cannot be divided by local_share 2,"
        + " which the running store keeps until a restart, while the file's settings give"
        + " local_share 1: burst 13 at 1 per 2920d takes longer than 36500d to recover; lower"
        + " the burst or raise the limit, or restart to apply local_share 1\n");
  }

  @Test
  void reloadIfChanged_redisToMemory_rejectsPolicyMode(@TempDir Path dir) throws Exception {
    String policies = """
        policies:
          login:
            on_failure: deny
            limits: [{algorithm: gcra, limit: 5, period: 1m}]
        """;
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, "store:\n  type: redis\n  uri: " + redis.uri() + "\n" + policies);
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service = start("--config", config.toString())) {
      // The running Redis store could apply on_failure, but a restart with the file could not.
      rewrite(config, "store:\n  type: memory\n" + policies);
      boolean reloaded = service.reloadIfChanged();

      assertThat(reloaded).isFalse();
    }

    assertThat(stderr.text()).contains("config reload failed, keeping the running config: "
        + config + ":5: on_failure of policy 'login' applies only to the redis store, but the"
        + " store type is memory\n");
  }

  @Test
  void reloadIfChanged_memoryUnderRedisOption_appliesMode(@TempDir Path dir) throws Exception {
    Path config = tinyPolicy(dir, "store:\n  type: redis\n  uri: redis://127.0.0.1:1\n");
    try (SluiceService service = start("--config", config.toString(), "--redis", redis.uri())) {
      // --redis keeps the store Redis, so the file's memory store does not invalidate on_failure.
      rewrite(config, """
          store:
            type: memory
          policies:
            tiny:
              on_failure: deny
              limits: [{algorithm: fixed_window, limit: 1, period: 1h}]
          """);
      boolean reloaded = service.reloadIfChanged();
      redis.kill();

      String body = check(service.port());

      assertThat(reloaded).isTrue();
      assertThat(body).contains("\"allowed\":false", "\"fallback\":\"failed_closed\"");
    }
  }

  @Test
  void check_redisOptionOnMemoryConfig_usesPolicyMode(@TempDir Path dir)
      throws Exception {
    // No store section: the policy's on_failure is valid only because --redis applies.
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, """
        policies:
          tiny:
            on_failure: deny
            limits: [{algorithm: fixed_window, limit: 1, period: 1h}]
        """);
    try (SluiceService service = start("--config", config.toString(), "--redis", redis.uri())) {
      redis.kill();

      String body = check(service.port());

      assertThat(body).contains("\"allowed\":false", "\"fallback\":\"failed_closed\"");
    }
  }

  /** Rewrites a file and moves its modification time on, as an editor saving it later would. */
  private static void rewrite(Path file, String content) throws Exception {
    FileTime before = Files.getLastModifiedTime(file);
    Files.writeString(file, content);
    Files.setLastModifiedTime(file, FileTime.fromMillis(before.toMillis() + 2_000));
  }

  private static String check(int port) throws Exception {
    return ServeFixture.check(port, "tiny", "k");
  }

  private static String check(int port, String policy, String key) throws Exception {
    return ServeFixture.check(port, policy, key);
  }

  private String get(int port, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .build();
    return client.send(request, BodyHandlers.ofString()).body();
  }

  private static long evalshaCalls(RedisCommands<String, String> commands) {
    for (String line : commands.info("commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_evalsha:")) {
        return Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(',')));
      }
    }
    return 0;
  }
}
