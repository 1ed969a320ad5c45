package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Servers that {@link RedisStore.Builder#build()} must reject because every decision on them
 * would fail: ACL users without a permission that decisions need, and a read-only replica.
 */
class RedisStoreStartupTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @Test
  void build_socketWithoutNativeTransport_failsWithAdvice() {
    assertThatThrownBy(() -> RedisStore.builder().uri("redis-socket:///tmp/sluice-none.sock")
        .build())
        .isInstanceOf(RedisException.class)
        .hasMessage("cannot connect to redis-socket:///tmp/sluice-none.sock: a Unix domain"
            + " socket needs Netty's native epoll (Linux) or kqueue (macOS) transport on the"
            + " class path, which Sluice does not bundle; add io.netty:netty-transport-native-epoll"
            + " with its native classifier, or connect over TCP, such as redis://127.0.0.1:6379");
  }

  @Test
  void build_userWithoutKeyPermission_failsNamingAcl() {
    assertRejectedForUser("~other:*", "+@all",
        "NOPERM this user has no permissions to access one of the keys");
  }

  @Test
  void build_userWithoutEvalsha_failsNamingAcl() {
    assertRejectedForUser("~*", "+@all -evalsha",
        "NOPERM this user has no permissions to run the 'evalsha' command");
  }

  @Test
  void build_userWithoutTime_failsNamingAcl() {
    try (StoreLog log = StoreLog.open()) {
      assertRejectedForUser("~*", "+@all -time",
          "The user executing the script can't run this command or subcommand");

      // Not reported as a key that contains an unreadable state.
      assertThat(log.records(Level.WARNING)).isEmpty();
    }
  }

  /** Commands that only admissions run, which a warm-up that writes nothing never ran. */
  @ParameterizedTest
  @ValueSource(strings = {"hset", "pexpire", "zadd"})
  void build_userWithoutWriteCommand_failsNamingAcl(String command) {
    assertRejectedForUser("~*", "+@all -" + command,
        "The user executing the script can't run this command or subcommand");
  }

  @Test
  void build_userWithoutDel_failsNamingAcl() {
    assertRejectedForUser("~*", "+@all -del",
        "NOPERM this user has no permissions to run the 'del' command");
  }

  @Test
  void build_readOnlyReplica_failsNamingReplica() {
    try (RedisServer master = RedisServer.start();
        RedisServer replica = RedisServer.start(
            "--replicaof", "127.0.0.1", Integer.toString(master.port()))) {
      assertThatThrownBy(() -> store("redis://127.0.0.1:" + replica.port()))
          .isInstanceOf(RedisException.class)
          .hasMessage("Redis at redis://127.0.0.1:" + replica.port() + "/0 is a"
              + " replica, and the store must write every admission; use the URI of the"
              + " master, or a redis-sentinel:// URI, which follows the master through"
              + " failovers");
    }
  }

  @Test
  void build_evictionPolicy_warnsOnce() {
    try (RedisServer server = RedisServer.start("--maxmemory-policy", "volatile-lru");
        StoreLog log = StoreLog.open();
        RedisStore store = store(server.uri())) {
      assertThat(log.records(Level.WARNING)).singleElement().extracting(LogRecord::getMessage)
          .isEqualTo("Redis store uri=" + server.uri() + "/0 has maxmemory-policy=volatile-lru,"
              + " so Redis may evict the store's keys when memory is full, which resets their"
              + " limits; set maxmemory-policy noeviction, under which writes fail when memory"
              + " is full and the failure mode decides");
    }
  }

  @Test
  void build_noEviction_logsNothing() {
    try (RedisServer server = RedisServer.start("--maxmemory-policy", "noeviction");
        StoreLog log = StoreLog.open();
        RedisStore store = store(server.uri())) {
      assertThat(log.records(Level.WARNING)).isEmpty();
    }
  }

  @Test
  void build_userWithoutScriptLoad_failsNamingAcl() {
    assertRejectedForUser("SCRIPT LOAD", "~*", "+@all -script|load",
        "NOPERM this user has no permissions to run the 'script|load' command");
  }

  /** Starts a server whose only user, bob, has the given rules, and checks the build fails. */
  private static void assertRejectedForUser(String keyRule, String commandRules, String reply) {
    assertRejectedForUser("the warm-up decision", keyRule, commandRules, reply);
  }

  private static void assertRejectedForUser(
      String step, String keyRule, String commandRules, String reply) {
    List<String> options = new ArrayList<>(List.of("--user", "bob", "on", ">pw", keyRule));
    options.addAll(List.of(commandRules.split(" ")));
    options.addAll(List.of("--user", "default", "off"));
    try (RedisServer server = RedisServer.start(options.toArray(String[]::new))) {
      String uri = "redis://bob:pw@127.0.0.1:" + server.port();

      assertThatThrownBy(() -> store(uri))
          .isInstanceOf(RedisException.class)
          .hasMessageStartingWith(step + " on redis://***@127.0.0.1:"
              + server.port() + "/0 failed: io.lettuce.core.RedisCommandExecutionException: ")
          .hasMessageContaining(reply)
          .hasMessageEndingWith("; grant the Redis ACL user of the URI the keys and commands"
              + " that the store needs, such as with ACL SETUSER <user> ~sluice:* +evalsha"
              + " +script|load +time +hmget +hset +hstrlen +pexpire +del +type +zadd +zcard"
              + " +zrange +zrangebyscore +zrank +zremrangebyrank")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw@"));
    }
  }

  private static RedisStore store(String uri) {
    return RedisStore.builder()
        .uri(uri)
        .commandTimeout(TIMEOUT)
        .onFailure(FailureMode.DENY)
        .build();
  }
}
