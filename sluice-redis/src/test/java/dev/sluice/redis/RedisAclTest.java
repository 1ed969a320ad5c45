package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/**
 * ACL users against a real server: the rules that docs/redis.md lists are enough for every
 * algorithm, and a permission revoked while the store runs is a store failure, not a damaged
 * key. The default user stays on, with every permission, to set up and inspect the server.
 */
class RedisAclTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final long SECOND = 1_000_000_000L;
  /** The rules of docs/redis.md, with the default key prefix. */
  private static final String DOCUMENTED_RULES = "~sluice:* +evalsha +script|load +time +hmget"
      + " +hset +hstrlen +pexpire +del +type +zadd +zcard +zrange +zrangebyscore +zrank"
      + " +zremrangebyrank";

  @Test
  void documentedAclRules_decideEveryAlgorithm() {
    List<String> options = new ArrayList<>(List.of("--user", "bob", "on", ">pw"));
    options.addAll(List.of(DOCUMENTED_RULES.split(" ")));
    try (RedisServer server = RedisServer.start(options.toArray(String[]::new));
        Admin admin = Admin.connect(server)) {
      String uri = "redis://bob:pw@127.0.0.1:" + server.port();
      FakeClock clock = new FakeClock(1_000 * SECOND);
      List<Decision> decisions = new ArrayList<>();
      try (RedisStore serverTime = RedisStore.builder().uri(uri).commandTimeout(TIMEOUT)
              .onFailure(FailureMode.DENY).build();
          RedisStore clientTime = RedisStore.builder().uri(uri).commandTimeout(TIMEOUT)
              .onFailure(FailureMode.DENY).timeMode(TimeMode.CLIENT).timeSource(clock)
              .build()) {
        decisions.addAll(decideEach(serverTime.bind(everyAlgorithm()), 5));
        PolicyBinding log = clientTime.bind(
            Policy.of("log", Limit.of(Algorithm.SLIDING_LOG, 3, Duration.ofSeconds(1))));
        // The hash of earlier versions makes the script read TYPE and replace the key.
        admin.commands().hset(((RedisBinding) log).keysOf("old")[0], Map.of(
            "times", Long.toString(clock.nanos()), "totals", "1", "base", "0"));
        decisions.addAll(decideEach(log, 4));
        decisions.add(log.tryAcquire("old", 1, Long.MAX_VALUE));
        clock.advance(2 * SECOND);
        // The entries of 2 s ago have left the window and are removed.
        decisions.addAll(decideEach(log, 2));

        assertThat(decisions).allSatisfy(d -> assertThat(d.source()).isEqualTo(Source.STORE));
        assertThat(decisions).anySatisfy(d -> assertThat(d.allowed()).isFalse());
        // The only denial is the start-up check of maxmemory-policy, which the store skips.
        assertThat(admin.commands().aclLog()).allSatisfy(entry ->
            assertThat(entry.get("object")).isEqualTo("config|get"));
      }
    }
  }

  @Test
  void tryAcquire_timeRevoked_failsAsPermission() {
    try (RedisServer server = RedisServer.start(
        "--user", "bob", "on", ">pw", "~sluice:*", "+@all");
        Admin admin = Admin.connect(server);
        StoreLog log = StoreLog.open()) {
      AtomicLong breakerNanos = new AtomicLong();
      try (RedisStore store = RedisStore.builder()
          .uri("redis://bob:pw@127.0.0.1:" + server.port())
          .commandTimeout(TIMEOUT)
          .failureDuration(Duration.ZERO)
          .onFailure(FailureMode.DENY)
          .breakerClock(breakerNanos::get)
          .build()) {
        PolicyBinding binding = store.bind(
            Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofMinutes(1))));
        assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).source()).isEqualTo(Source.STORE);
        admin.commands().aclSetuser("bob", AclSetuserArgs.Builder.removeCommand(CommandType.TIME));

        for (int i = 0; i < 3; i++) {
          assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).source())
              .isEqualTo(Source.FAILED_CLOSED);
        }

        // Three failed calls reach the default threshold and open the breaker.
        assertThat(store.breakerOpen()).isTrue();
        assertThat(log.records(Level.WARNING)).singleElement()
            .extracting(LogRecord::getMessage).asString()
            .startsWith("Redis store failed uri=redis://***@127.0.0.1:" + server.port())
            .contains("The user executing the script can't run this command")
            .endsWith("; the Redis ACL user of the URI lacks a permission that the store"
                + " needs, so grant it the store's keys and the commands +evalsha"
                + " +script|load +time +hmget +hset +hstrlen +pexpire +del +type +zadd +zcard"
                + " +zrange +zrangebyscore +zrank +zremrangebyrank");
      }
    }
  }

  /** Returns a policy with one limit of each algorithm, each admitting 3 at once. */
  private static Policy everyAlgorithm() {
    List<Limit> limits = new ArrayList<>();
    for (Algorithm algorithm : Algorithm.values()) {
      limits.add(Limit.of(algorithm, 3, Duration.ofHours(1)).withName(algorithm.configName()));
    }
    return Policy.of("every", limits.toArray(Limit[]::new));
  }

  private static List<Decision> decideEach(PolicyBinding binding, int requests) {
    List<Decision> decisions = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      decisions.add(binding.tryAcquire("k", 1, Long.MAX_VALUE));
    }
    return decisions;
  }

  /** A connection of the default user, which has every permission. */
  private record Admin(RedisClient client, RedisCommands<String, String> commands)
      implements AutoCloseable {

    static Admin connect(RedisServer server) {
      RedisClient client = RedisClient.create(server.uri());
      return new Admin(client, client.connect().sync());
    }

    @Override
    public void close() {
      client.shutdown();
    }
  }
}
