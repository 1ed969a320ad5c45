package dev.sluice.server.cli;

import static dev.sluice.server.cli.ServeFixture.start;
import static dev.sluice.server.cli.ServeFixture.tinyPolicy;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.redis.SentinelGroup;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code sluice serve} through a sentinel that requires its own password
 * ({@code sentinel_password}) to a master that requires another one (in the URI), over real
 * HTTP. Sentinel 1 of the {@link SentinelGroup} has {@code requirepass}.
 */
class ServeRedisSentinelAuthTest {

  private static final String DATA_PASSWORD = "data-secret";
  private static final String SENTINEL_PASSWORD = "sentinel-secret";

  private static SentinelGroup group;

  @BeforeAll
  static void startGroup() {
    group = SentinelGroup.startWithPasswords(DATA_PASSWORD, SENTINEL_PASSWORD);
  }

  @AfterAll
  static void stopGroup() {
    group.close();
  }

  @Test
  void start_sentinelPassword_decidesOnMaster(@TempDir Path dir) throws Exception {
    // A generous timeout, so that a busy machine never turns a decision into a fallback.
    Path config = tinyPolicy(dir, """
        store:
          type: redis
          uri: %s
          sentinel_password: %s
          command_timeout: 2s
        """.formatted(sentinelUri(), SENTINEL_PASSWORD));
    try (SluiceService service = start("--config", config.toString())) {
      String admitted = check(service.port());
      String denied = check(service.port());

      // One unit per hour: the second request of the key is denied.
      assertThat(admitted).contains("\"allowed\":true").doesNotContain("fallback");
      assertThat(denied).contains("\"allowed\":false").doesNotContain("fallback");
    }
    assertThat(group.masterCommands().keys("sluice:{tiny:k}:*")).hasSize(1);
  }

  @Test
  void execute_missingSentinelPassword_exits1NamingSentinels(@TempDir Path dir)
      throws Exception {
    Path config = tinyPolicy(dir, """
        store:
          type: redis
          uri: %s
          command_timeout: 2s
        """.formatted(sentinelUri()));
    StringWriter err = new StringWriter();
    CommandLine main = Main.commandLine();
    main.setErr(new PrintWriter(err, true));

    int exitCode = main.execute("serve", "--config", config.toString(), "--port", "0");

    assertThat(exitCode).isEqualTo(1);
    assertThat(err.toString())
        .contains("authentication failed at the sentinels of redis-sentinel://***@"
            + group.sentinelAddress(1) + "/0#mymaster: NOAUTH")
        .contains("sentinel_password")
        .doesNotContain(DATA_PASSWORD);
  }

  @Test
  void execute_redisOptionReplacingSentinelUri_exits1NamingSentinelPassword(@TempDir Path dir)
      throws Exception {
    Path config = tinyPolicy(dir, """
        store:
          type: redis
          uri: %s
          sentinel_password: %s
        """.formatted(sentinelUri(), SENTINEL_PASSWORD));
    StringWriter err = new StringWriter();
    CommandLine main = Main.commandLine();
    main.setErr(new PrintWriter(err, true));

    // The store rejects the setting before it connects, so no server listens on this URI.
    int exitCode = main.execute("serve", "--config", config.toString(), "--port", "0",
        "--redis", "redis://127.0.0.1:1");

    assertThat(exitCode).isEqualTo(1);
    assertThat(err.toString())
        .contains("sentinel_password in sluice serve) needs a redis-sentinel:// or"
            + " rediss-sentinel:// uri, got 'redis://127.0.0.1:1/0'")
        .doesNotContain(SENTINEL_PASSWORD);
  }

  private static String sentinelUri() {
    return "redis-sentinel://:" + DATA_PASSWORD + "@" + group.sentinelAddress(1) + "/0#"
        + SentinelGroup.MASTER_NAME;
  }

  private static String check(int port) throws Exception {
    return ServeFixture.check(port, "tiny", "k");
  }
}
