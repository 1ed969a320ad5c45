package dev.sluice.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Starts {@code sluice serve} in-process through picocli, on a free loopback port. */
class ServeCommandTest {

  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(10))
      .build();
  private final StringWriter err = new StringWriter();

  @Test
  void start_configFileAndPortZero_servesItsPolicies(@TempDir Path dir) throws Exception {
    Path config = ServeFixture.tinyPolicy(dir, "");
    ServeCommand command = parse("serve", "--config", config.toString(), "--port", "0");

    try (SluiceService service = command.start()) {
      String first = check(service.port(), "{\"policy\": \"tiny\", \"key\": \"k\"}");
      String second = check(service.port(), "{\"policy\": \"tiny\", \"key\": \"k\"}");

      assertThat(service.port()).isPositive();
      assertThat(first).contains("\"allowed\":true");
      assertThat(second).contains("\"allowed\":false");
    }
  }

  @Test
  void start_noConfig_servesEmbeddedDefaults() throws Exception {
    ServeCommand command = parse("serve", "--port", "0");

    try (SluiceService service = command.start()) {
      String body = get(service.port(), "/v1/policies");

      assertThat(body).contains("\"name\":\"default\"", "\"name\":\"strict\"",
          "\"name\":\"login\"", "\"name\":\"shaped\"", "\"name\":\"api\"");
    }
  }

  @Test
  void start_portZero_logsBoundPortAndPolicies() throws Exception {
    StderrCapture stderr = new StderrCapture();
    int port;
    try (stderr; SluiceService service = parse("serve", "--port", "0").start()) {
      port = service.port();
    }

    String log = stderr.text();
    assertThat(log).contains("started address=127.0.0.1:" + port + " store=memory"
        + " max_keys=1000000 at_capacity=evict_soonest_reset config=default-config.yaml");
    assertThat(log).contains("login: gcra 5/1m burst 5",
        "api: per-second=token_bucket 10/1s burst 20 + per-hour=fixed_window 1000/1h");
    assertThat(log).contains("stopped address=127.0.0.1:" + port);
  }

  @Test
  void start_manyPolicies_logsFirstTwenty(@TempDir Path dir) throws Exception {
    StringBuilder yaml = new StringBuilder("policies:\n");
    for (int i = 1; i <= 25; i++) {
      yaml.append("  p").append(i).append(":\n    limits:\n      - algorithm: gcra\n")
          .append("        limit: 5\n        period: 1m\n");
    }
    Path config = dir.resolve("many.yaml");
    Files.writeString(config, yaml);
    StderrCapture stderr = new StderrCapture();
    try (stderr; SluiceService service =
        parse("serve", "--config", config.toString(), "--port", "0").start()) {
      assertThat(service.port()).isPositive();
    }

    String log = stderr.text();
    assertThat(log).contains("policies=\"p1: gcra 5/1m burst 5; p2: gcra 5/1m burst 5;");
    assertThat(log).contains("p20: gcra 5/1m burst 5; and 5 more\"");
    assertThat(log).doesNotContain("p21:");
  }

  @Test
  void close_calledTwice_stopsListening() throws Exception {
    SluiceService service = parse("serve", "--port", "0").start();
    int port = service.port();

    service.close();
    service.close();

    assertThatThrownBy(() -> get(port, "/healthz")).isInstanceOf(IOException.class);
  }

  @Test
  void execute_invalidConfig_exits2WithFileAndLine(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(config, "policies:\n  api:\n    limits:\n      - algorithm: gcra\n"
        + "        limit: 0\n        period: 1s\n");

    int exitCode = execute("serve", "--config", config.toString(), "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().trim()).isEqualTo(config + ":5: limit must be at least 1, got 0");
  }

  @Test
  void execute_missingConfigFile_exits2(@TempDir Path dir) {
    Path config = dir.resolve("absent.yaml");

    int exitCode = execute("serve", "--config", config.toString(), "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().trim()).isEqualTo(config + ": not found");
  }

  @Test
  void execute_emptyConfigPath_exits2NamingOption() {
    int exitCode = execute("serve", "--config", "", "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "sluice serve: Invalid value for option '--config': must be the path of a YAML file,"
            + " got an empty value",
        "Run 'sluice serve --help' for usage.");
  }

  @Test
  void execute_configNameWithEscape_printsItEscaped(@TempDir Path dir) {
    Path config = dir.resolve("c\u001b[31m.yaml");

    int exitCode = execute("serve", "--config", config.toString(), "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().lines().toList())
        .containsExactly(dir + "/c\\x1b[31m.yaml: not found");
  }

  @Test
  void execute_hostWithEscape_printsItEscaped() {
    int exitCode = execute("serve", "--host", "h\u001b[31m", "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("got 'h\\x1b[31m'");
    assertThat(err.toString()).doesNotContain("\u001b");
  }

  @Test
  void execute_portWithEscape_printsItEscaped() {
    int exitCode = execute("serve", "--port", "1\u001b");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("got '1\\x1b'");
    assertThat(err.toString()).doesNotContain("\u001b");
  }

  @Test
  void execute_redisUriWithEscape_printsItEscaped() {
    int exitCode = execute("serve", "--port", "0", "--redis", "redis://h\u001b[31m:1");

    assertThat(exitCode).isEqualTo(2);
    // Both the host name and the URI after it are quoted escaped.
    assertThat(err.toString()).contains("a host name that Java's URI parser does not accept,"
        + " 'h\\x1b[31m', in 'redis://h\\x1b[31m:1'");
    assertThat(err.toString()).doesNotContain("\u001b");
  }

  @Test
  void execute_redisClusterSeedWithEscape_printsItEscaped() {
    int exitCode = execute("serve", "--port", "0",
        "--redis-cluster", "redis://a\u001b:1,redis://b:2");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("in 'redis://a\\x1b:1'");
    assertThat(err.toString()).doesNotContain("\u001b");
  }

  @Test
  void execute_clusterHostList_namesScheme() {
    int exitCode = execute("serve", "--port", "0",
        "--redis-cluster", "redis://127.0.0.1:7600,127.0.0.1:7601");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("got '127.0.0.1:7601'").contains("; the option splits"
        + " at commas, so give each seed its own scheme, such as"
        + " redis://10.0.0.1:7000,redis://10.0.0.2:7000");
  }

  @Test
  void execute_sentinelMasterIdWithEscape_storeErrorEscaped() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    // Lettuce decodes the master id, so %1b reaches the store's error as a raw ESC.
    String uri = "redis-sentinel://127.0.0.1:" + closedPort + "?sentinelMasterId=a%1bb";

    int exitCode = execute("serve", "--port", "0", "--redis", uri);

    assertThat(exitCode).isEqualTo(1);
    assertThat(err.toString()).startsWith("sluice serve failed to start its store: ");
    assertThat(err.toString()).contains("#a\\x1bb");
    assertThat(err.toString()).doesNotContain("\u001b");
  }

  @Test
  void execute_unknownOption_exits2WithOneLineAndHint() {
    int exitCode = execute("serve", "--prot", "8080");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "sluice serve: Unknown options: '--prot', '8080'",
        "Run 'sluice serve --help' for usage.");
  }

  @Test
  void execute_unknownOptionWithLineBreak_printsItEscaped() {
    int exitCode = execute("serve", "--po\nrt", "8080");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "sluice serve: Unknown options: '--po\\x0art', '8080'",
        "Run 'sluice serve --help' for usage.");
  }

  @Test
  void execute_portOutOfRange_exits2() {
    int exitCode = execute("serve", "--port", "70000");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString())
        .contains("Invalid value for option '--port': must be 0 to 65535, got 70000");
  }

  static Stream<Arguments> badPorts() {
    return Stream.of(
        Arguments.of("abc", "must be a whole number from 0 to 65535, got 'abc'"),
        Arguments.of("80.5", "must be a whole number from 0 to 65535, got '80.5'"),
        Arguments.of(" 80", "must be a whole number from 0 to 65535, got ' 80'"),
        Arguments.of("", "must be a whole number from 0 to 65535, got ''"),
        Arguments.of("-1", "must be 0 to 65535, got -1"),
        Arguments.of("65536", "must be 0 to 65535, got 65536"),
        Arguments.of("99999999999", "must be 0 to 65535, got 99999999999"));
  }

  @ParameterizedTest
  @MethodSource("badPorts")
  void execute_badPort_namesOptionAndRange(String port, String problem) {
    int exitCode = execute("serve", "--port", port);

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "sluice serve: Invalid value for option '--port': " + problem,
        "Run 'sluice serve --help' for usage.");
  }

  @Test
  void execute_unresolvableHost_exits2NamingHost() {
    int exitCode = execute("serve", "--host", "999.1.1.1", "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--host': must be an IP"
        + " address or a host name that resolves, such as 127.0.0.1 or 0.0.0.0, got"
        + " '999.1.1.1'");
  }

  @Test
  void execute_redisPortZero_exits2NamingOption() {
    int exitCode = execute("serve", "--redis", "redis://:pw@127.0.0.1:0", "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--redis': --redis must not"
        + " have port 0, got 'redis://***@127.0.0.1:0'").doesNotContain("pw");
  }

  @Test
  void execute_portInUse_exits1SuggestingPort() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int exitCode = execute("serve", "--host", "127.0.0.1", "--port",
          String.valueOf(taken.getLocalPort()));

      assertThat(exitCode).isEqualTo(1);
      assertThat(err.toString()).contains("sluice serve failed to start on 127.0.0.1:"
          + taken.getLocalPort() + ": ").contains("; stop what uses the port, or choose another"
          + " with --port");
    }
  }

  @Test
  void execute_redisWithoutSchemeOrBadPort_exits2() {
    int exitCode = execute("serve", "--redis", "127.0.0.1:7811", "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--redis': --redis must be a"
        + " Redis URI such as redis://host:6379, got '127.0.0.1:7811': it does not start with a"
        + " scheme, so start it with redis://, rediss://, redis-sentinel://, rediss-sentinel://"
        + " or redis-socket://");

    err.getBuffer().setLength(0);
    exitCode = execute("serve", "--redis", "redis://127.0.0.1:abc", "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--redis': --redis has an"
        + " invalid port 'abc' in 'redis://127.0.0.1:abc', expected a number from 1 to 65535");
  }

  @Test
  void execute_redisSocket_exits2NamingTcp() {
    int exitCode = execute("serve", "--redis", "redis-socket://:pw@/tmp/redis.sock", "--port",
        "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--redis': --redis cannot be"
        + " a Unix socket URI in sluice serve, got 'redis-socket://***@/tmp/redis.sock': the"
        + " server has no native transport for sockets, so give the Redis server's TCP address,"
        + " such as redis://127.0.0.1:6379").doesNotContain("pw@");
  }

  @Test
  void execute_redisDatabaseNotNumber_exits2() {
    int exitCode = execute("serve", "--redis", "redis://127.0.0.1:7000?database=x3", "--port",
        "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--redis': --redis has an"
        + " invalid database 'x3' in 'redis://127.0.0.1:7000?database=x3', expected a whole"
        + " number from 0, such as database=0");
  }

  @Test
  void execute_unencodedRedisPassword_exits2() {
    int exitCode = execute("serve", "--redis", "redis://:pa/ss@127.0.0.1:7000", "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--redis': --redis has a user"
        + " name or password that is not percent-encoded in 'redis://***@127.0.0.1:7000'; write"
        + " '@' as %40").doesNotContain("ss@");
  }

  @Test
  void execute_emptyHost_exits2() {
    int exitCode = execute("serve", "--host", "", "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--host': must be an IP"
        + " address or a host name, such as 127.0.0.1 or 0.0.0.0, got an empty value");
  }

  @Test
  void execute_unreachableRedis_exits1BlamingStore() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }

    int exitCode = execute("serve", "--redis", "redis://127.0.0.1:" + closedPort, "--port", "0");

    assertThat(exitCode).isEqualTo(1);
    assertThat(err.toString())
        .startsWith("sluice serve failed to start its store: failed to connect to"
            + " redis://127.0.0.1:" + closedPort)
        .doesNotContain("127.0.0.1:0");
  }

  @Test
  void execute_policyModeOnMemory_exits2WithLine(@TempDir Path dir)
      throws Exception {
    Path config = dir.resolve("memory.yaml");
    Files.writeString(config, "policies:\n  login:\n    on_failure: deny\n"
        + "    limits: [{algorithm: gcra, limit: 5, period: 1m}]\n");

    int exitCode = execute("serve", "--config", config.toString(), "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().trim()).isEqualTo(config + ":3: on_failure of policy 'login'"
        + " applies only to the redis store, but the store type is memory");
  }

  @Test
  void execute_redisStoreWithoutUri_exits2(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("fleet.yaml");
    Files.writeString(config, "store: {type: redis, key_prefix: other}\n" + tinyPolicy("tiny"));

    int exitCode = execute("serve", "--config", config.toString(), "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().trim()).isEqualTo(config + ":1: a store of type redis is missing"
        + " the required field 'uri' or 'cluster'");
  }

  @Test
  void execute_redisAndRedisCluster_exits2() {
    int exitCode = execute("serve", "--port", "0", "--redis", "redis://127.0.0.1:1",
        "--redis-cluster", "redis://127.0.0.1:2,redis://127.0.0.1:3");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "sluice serve: Options '--redis' and '--redis-cluster' cannot be combined: use --redis"
            + " for one server or Sentinel, --redis-cluster for a Redis Cluster",
        "Run 'sluice serve --help' for usage.");
  }

  @Test
  void execute_redisWithSeveralHosts_exits2PointingToRedisCluster() {
    int exitCode = execute("serve", "--port", "0",
        "--redis", "redis://:secret@127.0.0.1:7000,127.0.0.1:7001");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "sluice serve: Invalid value for option '--redis': must name one server or use"
            + " redis-sentinel://, got 'redis://***@127.0.0.1:7000,127.0.0.1:7001'; for a Redis"
            + " Cluster use --redis-cluster, or cluster: in the config's redis store",
        "Run 'sluice serve --help' for usage.");
  }

  @Test
  void execute_clusterSeedWithoutScheme_exits2() {
    int exitCode = execute("serve", "--port", "0",
        "--redis-cluster", "redis://:secret@127.0.0.1:7000,127.0.0.1:7001");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).startsWith("sluice serve: Invalid value for option"
        + " '--redis-cluster': a cluster seed must be a Redis URI such as redis://host:6379,"
        + " got '127.0.0.1:7001': it does not start with a scheme, so start it with redis:// or"
        + " rediss://; the option splits at commas, so give each seed its own scheme");
    assertThat(err.toString()).doesNotContain("secret");
  }

  @Test
  void help_exampleUris_eachOnOneLine() {
    StringWriter out = new StringWriter();
    CommandLine main = Main.commandLine();
    main.setOut(new PrintWriter(out, true));
    main.getSubcommands().get("serve").setUsageHelpWidth(80);

    int exitCode = main.execute("serve", "--help");

    List<String> lines = out.toString().lines().toList();
    assertThat(exitCode).isZero();
    assertThat(lines).allSatisfy(line -> assertThat(line).hasSizeLessThanOrEqualTo(80));
    assertThat(lines.stream().map(String::strip)).contains(
        "redis://127.0.0.1:6379",
        "redis://127.0.0.1:7000,redis://127.0.0.1:7001");
  }

  @Test
  void execute_unknownCommand_listsCommands() {
    int exitCode = execute("bogus", "--port", "0");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "sluice: 'bogus' is not a command, expected one of serve, replay, help",
        "Run 'sluice --help' for usage.");
  }

  @Test
  void execute_unknownTopLevelOption_namesTheOption() {
    int exitCode = execute("--bogus");

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString().lines().toList()).containsExactly(
        "sluice: Unknown option: '--bogus'",
        "Run 'sluice --help' for usage.");
  }

  @Test
  void execute_noSubcommand_exits2() {
    int exitCode = execute();

    assertThat(exitCode).isEqualTo(2);
    assertThat(err.toString()).contains("Missing subcommand");
  }

  @Test
  void reloadIfChanged_editedConfig_servesNewPoliciesAndKeepsThemOnABadEdit() throws Exception {
    Path config = Files.createTempFile("sluice-reload", ".yaml");
    Files.writeString(config, tinyPolicy("tiny"));
    ServeCommand command = parse("serve", "--config", config.toString(), "--port", "0");

    try (SluiceService service = command.start()) {
      boolean unchanged = service.reloadIfChanged();
      rewrite(config, tinyPolicy("renamed"));
      boolean edited = service.reloadIfChanged();
      String afterEdit = get(service.port(), "/v1/policies");
      rewrite(config, "policies: [");
      boolean broken = service.reloadIfChanged();
      String afterBadEdit = get(service.port(), "/v1/policies");

      assertThat(unchanged).isFalse();
      assertThat(edited).isTrue();
      assertThat(afterEdit).contains("\"name\":\"renamed\"").doesNotContain("\"tiny\"");
      assertThat(broken).isFalse();
      assertThat(afterBadEdit).isEqualTo(afterEdit);
    } finally {
      Files.deleteIfExists(config);
    }
  }

  @Test
  void reloadIfChanged_policyModeOnRunningMemoryStore_keepsRunningConfig() throws Exception {
    Path config = Files.createTempFile("sluice-reload", ".yaml");
    Files.writeString(config, tinyPolicy("tiny"));
    ServeCommand command = parse("serve", "--config", config.toString(), "--port", "0");

    try (SluiceService service = command.start()) {
      String before = get(service.port(), "/v1/policies");
      // The file now names a redis store, but the running memory store stays until a restart.
      rewrite(config, "store:\n  type: redis\n  uri: redis://127.0.0.1:1\n"
          + "policies:\n  renamed:\n    on_failure: deny\n"
          + "    limits: [{algorithm: gcra, limit: 5, period: 1m}]\n");
      boolean reloaded = service.reloadIfChanged();
      String after = get(service.port(), "/v1/policies");

      assertThat(reloaded).isFalse();
      assertThat(after).isEqualTo(before);
    } finally {
      Files.deleteIfExists(config);
    }
  }

  @Test
  void reloadIfChanged_unreadableFile_logsCleanMessageAndKeepsConfig() throws Exception {
    Path config = Files.createTempFile("sluice-reload", ".yaml");
    Files.writeString(config, tinyPolicy("tiny"));
    ServeCommand command = parse("serve", "--config", config.toString(), "--port", "0");
    String log;

    try (SluiceService service = command.start()) {
      String before = get(service.port(), "/v1/policies");
      boolean notUtf8;
      boolean tooLarge;
      boolean missing;
      try (StderrCapture stderr = new StderrCapture()) {
        // "policies:" is 9 bytes, so the Latin-1 byte 0xe9 after it is at offset 9.
        rewrite(config, new byte[] {'p', 'o', 'l', 'i', 'c', 'i', 'e', 's', ':', (byte) 0xe9});
        notUtf8 = service.reloadIfChanged();
        rewrite(config, new byte[1024 * 1024 + 1]);
        tooLarge = service.reloadIfChanged();
        Files.delete(config);
        missing = service.reloadIfChanged();
        log = stderr.text();
      }
      String after = get(service.port(), "/v1/policies");

      assertThat(notUtf8).isFalse();
      assertThat(tooLarge).isFalse();
      assertThat(missing).isFalse();
      assertThat(after).isEqualTo(before);
    } finally {
      Files.deleteIfExists(config);
    }
    String failed = "config reload failed, keeping the running config: " + config;
    assertThat(log).contains(failed + ":1: not valid UTF-8 at byte offset 9");
    assertThat(log).contains(failed + ": 1048577 bytes, expected at most 1048576");
    assertThat(log).contains(failed + ": not found");
  }

  private static String tinyPolicy(String name) {
    return "policies:\n  " + name + ":\n    limits:\n      - algorithm: fixed_window\n"
        + "        limit: 1\n        period: 1h\n";
  }

  /** Rewrites a file and moves its modification time on, as an editor saving it later would. */
  private static void rewrite(Path file, String content) throws Exception {
    rewrite(file, content.getBytes(StandardCharsets.UTF_8));
  }

  private static void rewrite(Path file, byte[] content) throws Exception {
    java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(file);
    Files.write(file, content);
    Files.setLastModifiedTime(file,
        java.nio.file.attribute.FileTime.fromMillis(before.toMillis() + 2_000));
  }

  private ServeCommand parse(String... args) {
    CommandLine main = Main.commandLine();
    CommandLine.ParseResult result = main.parseArgs(args);
    return result.subcommand().commandSpec().commandLine().getCommand();
  }

  private int execute(String... args) {
    CommandLine main = Main.commandLine();
    main.setErr(new PrintWriter(err, true));
    return main.execute(args);
  }

  private String check(int port, String json) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/v1/check"))
        .timeout(Duration.ofSeconds(30))
        .POST(BodyPublishers.ofString(json))
        .build();
    return client.send(request, BodyHandlers.ofString()).body();
  }

  private String get(int port, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .build();
    HttpResponse<String> response = client.send(request, BodyHandlers.ofString());
    return response.body();
  }
}
