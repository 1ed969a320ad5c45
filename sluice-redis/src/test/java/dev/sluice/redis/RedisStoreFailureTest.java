package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Failures of a real Redis: killed and restarted on the same port, paused past the timeout.
 * The circuit breaker reads a fake clock that only the test moves, so the number of probes
 * does not depend on how fast the machine is.
 */
class RedisStoreFailureTest {

  private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);
  /** A token bucket of 10 per minute: a fresh key admits 10 at once. */
  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofMinutes(1)));
  private static final long RECOVERY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
  /** The minimum time between two summaries of failures that left the breaker closed. */
  private static final long SUMMARY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final AtomicLong breakerNanos = new AtomicLong();
  private final List<RedisStore> stores = new ArrayList<>();
  private StoreLog log;
  private RedisServer server;

  @BeforeEach
  void start() {
    server = RedisServer.start();
    log = StoreLog.open();
  }

  @AfterEach
  void stop() {
    log.close();
    stores.forEach(RedisStore::close);
    server.close();
  }

  private RedisStore store(FailureMode mode) {
    // Longer than the default 20 ms, so that a busy machine does not turn a healthy decision
    // into a fallback, and shorter than the client pauses, which must time out. The breaker's
    // clock moves only when a test moves it, so it opens on the count of failures alone.
    RedisStore store = RedisStore.builder()
        .uri(server.uri())
        .commandTimeout(Duration.ofMillis(500))
        .failureDuration(Duration.ZERO)
        .onFailure(mode)
        .localShare(2)
        .probeInterval(PROBE_INTERVAL)
        .breakerClock(breakerNanos::get)
        .build();
    stores.add(store);
    return store;
  }

  @Test
  void bind_perPolicyFailureMode_overridesTheStoreDefault() {
    RedisStore store = store(FailureMode.ALLOW);
    Policy login = Policy.of("login", Limit.of(Algorithm.GCRA, 5, Duration.ofMinutes(1)));
    Policy search = Policy.of("search", Limit.of(Algorithm.FIXED_WINDOW, 4, Duration.ofHours(1)));
    PolicyBinding byDefault = store.bind(POLICY);
    PolicyBinding closed = store.bind(login, FailureMode.DENY);
    PolicyBinding local = store.bind(search, FailureMode.LOCAL);
    server.kill();

    Decision open = byDefault.tryAcquire("k", 1, Long.MAX_VALUE);
    Decision denied = closed.tryAcquire("k", 1, Long.MAX_VALUE);
    Decision localFirst = local.tryAcquire("k", 2, Long.MAX_VALUE);

    assertThat(open.source()).isEqualTo(Source.FAILED_OPEN);
    assertThat(open.allowed()).isTrue();
    assertThat(denied.source()).isEqualTo(Source.FAILED_CLOSED);
    assertThat(denied.allowed()).isFalse();
    assertThat(localFirst.source()).isEqualTo(Source.LOCAL_FALLBACK);
    // The local share is 4 / 2 instances = 2 per hour: 2 taken, none left.
    assertThat(localFirst.allowed()).isTrue();
    assertThat(localFirst.remaining()).isZero();
  }

  @Test
  void tryAcquire_redisKilledAndDeny_failsClosed() {
    PolicyBinding binding = store(FailureMode.DENY).bind(POLICY);
    server.kill();

    Decision decision = binding.tryAcquire("k", 1, Long.MAX_VALUE);

    assertThat(decision.source()).isEqualTo(Source.FAILED_CLOSED);
    assertThat(decision.allowed()).isFalse();
    assertThat(decision.retryAfterNanos()).isEqualTo(PROBE_INTERVAL.toNanos());
    assertThat(decision.resetAfterNanos()).isEqualTo(PROBE_INTERVAL.toNanos());
    assertThat(decision.remaining()).isZero();
  }

  @ParameterizedTest
  @EnumSource(value = FailureMode.class, names = {"ALLOW", "DENY"})
  void tryAcquire_costAboveBurstRedisKilled_deniesNever(FailureMode mode) {
    Policy twoLimits = Policy.of("login",
        Limit.of(Algorithm.GCRA, 5, Duration.ofMinutes(1)).withName("per-minute"),
        Limit.of(Algorithm.FIXED_WINDOW, 100, Duration.ofHours(1)).withName("per-hour"));
    PolicyBinding binding = store(mode).bind(twoLimits);
    server.kill();

    Decision aboveMinute = binding.tryAcquire("k", 6, Long.MAX_VALUE);
    Decision aboveHour = binding.tryAcquire("k", 101, Long.MAX_VALUE);
    Decision withinBoth = binding.tryAcquire("k", 5, Long.MAX_VALUE);

    Source source = mode == FailureMode.ALLOW ? Source.FAILED_OPEN : Source.FAILED_CLOSED;
    long resetAfter = mode == FailureMode.ALLOW ? 0 : PROBE_INTERVAL.toNanos();
    assertThat(aboveMinute).isEqualTo(
        Decision.deny("per-minute", 5, 0, resetAfter, Decision.NEVER).withSource(source));
    assertThat(aboveHour.limitName()).isEqualTo("per-minute");
    assertThat(aboveHour.costExceedsLimit()).isTrue();
    assertThat(withinBoth.allowed()).isEqualTo(mode == FailureMode.ALLOW);
    assertThat(withinBoth.costExceedsLimit()).isFalse();
  }

  @Test
  void tryAcquire_redisKilledAndAllow_failsOpenWithNothingRemaining() {
    PolicyBinding binding = store(FailureMode.ALLOW).bind(POLICY);
    server.kill();

    Decision decision = binding.tryAcquire("k", 1, Long.MAX_VALUE);

    assertThat(decision.source()).isEqualTo(Source.FAILED_OPEN);
    assertThat(decision.allowed()).isTrue();
    assertThat(decision.remaining()).isZero();
  }

  @Test
  void tryAcquire_costAboveShareOnlyRedisKilled_retriesAfterProbe() {
    PolicyBinding binding = store(FailureMode.LOCAL).bind(POLICY);
    server.kill();

    // The share is 5 of the burst of 10: 6 fits the full limit, 11 never does.
    Decision aboveShare = binding.tryAcquire("k", 6, Long.MAX_VALUE);
    Decision aboveLimit = binding.tryAcquire("k", 11, Long.MAX_VALUE);

    assertThat(aboveShare.allowed()).isFalse();
    assertThat(aboveShare.costExceedsLimit()).isFalse();
    assertThat(aboveShare.retryAfterNanos()).isEqualTo(PROBE_INTERVAL.toNanos());
    assertThat(aboveShare.source()).isEqualTo(Source.LOCAL_FALLBACK);
    assertThat(aboveLimit.costExceedsLimit()).isTrue();
  }

  @Test
  void tryAcquire_costAboveSecondLimitLocal_namesThatLimit() {
    Policy twoLimits = Policy.of("m",
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withBurst(20).withName("sec"),
        Limit.of(Algorithm.FIXED_WINDOW, 15, Duration.ofHours(1)).withName("hour"));
    PolicyBinding binding = store(FailureMode.LOCAL).bind(twoLimits);
    server.kill();

    // 16 fits the burst of "sec" (20) but never the hour's 15; the local share is irrelevant.
    Decision decision = binding.tryAcquire("k", 16, Long.MAX_VALUE);

    assertThat(decision.costExceedsLimit()).isTrue();
    assertThat(decision.limitName()).isEqualTo("hour");
    assertThat(decision.limit()).isEqualTo(15);
    assertThat(decision.source()).isEqualTo(Source.LOCAL_FALLBACK);
  }

  @Test
  void tryAcquire_redisKilledAndLocal_decidesOnTheLocalShare() {
    PolicyBinding binding = store(FailureMode.LOCAL).bind(POLICY);
    server.kill();

    List<Decision> decisions = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      decisions.add(binding.tryAcquire("k", 1, Long.MAX_VALUE));
    }

    // A limit of 10 shared by 2 instances: ceil(10 / 2) = 5 admitted, the sixth denied.
    assertThat(decisions).allSatisfy(d -> assertThat(d.source()).isEqualTo(Source.LOCAL_FALLBACK));
    assertThat(decisions.subList(0, 5)).allSatisfy(d -> assertThat(d.allowed()).isTrue());
    assertThat(decisions.get(0).limit()).isEqualTo(5);
    assertThat(decisions.get(0).remaining()).isEqualTo(4);
    assertThat(decisions.get(5).allowed()).isFalse();
  }

  @Test
  void tryAcquireAsync_redisKilled_completesNormallyByFailureMode() {
    PolicyBinding binding = store(FailureMode.DENY).bind(POLICY);
    server.kill();

    Decision decision = binding.tryAcquireAsync("k", 1, Long.MAX_VALUE).toCompletableFuture()
        .join();

    assertThat(decision.source()).isEqualTo(Source.FAILED_CLOSED);
  }

  @Test
  void tryAcquire_redisDead_callsRedisThresholdTimesThenOncePerInterval() {
    RedisStore store = store(FailureMode.DENY);
    PolicyBinding binding = store.bind(POLICY);
    binding.tryAcquire("k", 1, Long.MAX_VALUE);
    long before = store.redisAttempts();
    server.kill();

    for (int i = 0; i < 1_000; i++) {
      binding.tryAcquire("k", 1, Long.MAX_VALUE);
    }
    long duringFirstInterval = store.redisAttempts() - before;
    breakerNanos.addAndGet(PROBE_INTERVAL.toNanos());
    for (int i = 0; i < 1_000; i++) {
      binding.tryAcquire("k", 1, Long.MAX_VALUE);
    }
    long duringSecondInterval = store.redisAttempts() - before - duringFirstInterval;

    // The first 3 decisions after the kill fail, and the third opens the breaker at the
    // default threshold of 3. The clock does not move, so no probe is due. One interval later
    // exactly one decision probes.
    assertThat(duringFirstInterval).isEqualTo(3);
    assertThat(duringSecondInterval).isEqualTo(1);
    assertThat(store.breakerOpen()).isTrue();
  }

  @Test
  void tryAcquire_redisRestartedOnSamePort_recoversByItselfAndLogsOnce() throws Exception {
    RedisStore store = store(FailureMode.DENY);
    PolicyBinding binding = store.bind(POLICY);
    assertThat(binding.tryAcquire("k", 3, Long.MAX_VALUE).source()).isEqualTo(Source.STORE);
    server.kill();
    long failed = countFailed(binding, 500);
    server = server.restart();

    List<Decision> afterRestart = decideUntilRecovered(binding);
    Decision recovered = afterRestart.get(afterRestart.size() - 1);
    failed += afterRestart.size() - 1;

    // The restarted server is empty, so the key starts from a full bucket: 10 - 1 = 9.
    assertThat(recovered.source()).isEqualTo(Source.STORE);
    assertThat(recovered.allowed()).isTrue();
    assertThat(recovered.remaining()).isEqualTo(9);
    assertThat(store.breakerOpen()).isFalse();
    assertThat(failed).isGreaterThanOrEqualTo(500);
    assertThat(records(Level.WARNING)).hasSize(1);
    // A lost connection is an expected failure: its class and message, no stack trace.
    assertThat(records(Level.WARNING).get(0).getMessage()).contains(" error=\"");
    assertThat(records(Level.WARNING).get(0).getThrown()).isNull();
    assertThat(records(Level.INFO)).hasSize(1);
    assertThat(records(Level.INFO).get(0).getMessage())
        .startsWith("Redis store recovered uri=redis://127.0.0.1:" + server.port() + "/0"
            + " on_failure=deny outage_ms=")
        .endsWith(" failure_mode_decisions=" + failed + " by_mode=deny:" + failed);
  }

  @Test
  void tryAcquire_damagedKeyBeforeOutage_notCountedInRecoveryLine() throws Exception {
    RedisStore store = store(FailureMode.DENY);
    RedisBinding binding = (RedisBinding) store.bind(POLICY);
    RedisClient admin = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      connection.sync().set(binding.keysOf("damaged")[0], "not a hash");
    } finally {
      admin.shutdown();
    }
    for (int i = 0; i < 5; i++) {
      assertThat(binding.tryAcquire("damaged", 1, Long.MAX_VALUE).source())
          .isEqualTo(Source.FAILED_CLOSED);
    }
    assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).source()).isEqualTo(Source.STORE);
    server.kill();
    for (int i = 0; i < 3; i++) {
      assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).source())
          .isEqualTo(Source.FAILED_CLOSED);
    }
    server = server.restart();

    List<Decision> afterRestart = decideUntilRecovered(binding);

    // The outage's decisions: the 3 before the restart and all but the last after it.
    long outage = 3 + afterRestart.size() - 1;
    assertThat(store.breakerOpen()).isFalse();
    assertThat(records(Level.INFO)).singleElement().extracting(LogRecord::getMessage)
        .asString().endsWith(" failure_mode_decisions=" + outage + " by_mode=deny:" + outage);
  }

  @Test
  void tryAcquire_twoModesOutage_logsEachMode() throws Exception {
    RedisStore store = store(FailureMode.ALLOW);
    PolicyBinding byDefault = store.bind(POLICY);
    PolicyBinding closed = store.bind(
        Policy.of("login", Limit.of(Algorithm.GCRA, 5, Duration.ofMinutes(1))), FailureMode.DENY);
    server.kill();
    for (int i = 0; i < 3; i++) {
      assertThat(closed.tryAcquire("k", 1, Long.MAX_VALUE).source())
          .isEqualTo(Source.FAILED_CLOSED);
    }
    assertThat(byDefault.tryAcquire("k", 1, Long.MAX_VALUE).source())
        .isEqualTo(Source.FAILED_OPEN);
    server = server.restart();

    List<Decision> afterRestart = decideUntilRecovered(byDefault);

    // The store's mode admitted 1 before the restart, and after it every decision but the
    // last, which Redis made: 1 + (size - 1).
    long allowed = afterRestart.size();
    assertThat(afterRestart.get(afterRestart.size() - 1).source()).isEqualTo(Source.STORE);
    assertThat(records(Level.WARNING)).singleElement().extracting(LogRecord::getMessage)
        .asString()
        .startsWith("Redis store failed uri=redis://127.0.0.1:" + server.port() + "/0"
            + " on_failure=allow policies_on_failure=deny:1,allow:1 probe_interval_ms=1000"
            + " failure_threshold=3 failing_ms=")
        .endsWith("\"; each policy decides by its failure mode until a probe succeeds");
    assertThat(records(Level.WARNING).get(0).getThrown()).isNull();
    assertThat(records(Level.INFO)).singleElement().extracting(LogRecord::getMessage)
        .asString()
        .endsWith(" failure_mode_decisions=" + (3 + allowed) + " by_mode=deny:3,allow:" + allowed);
  }

  /**
   * Moves the breaker's clock by one probe interval before each decision until Redis decides
   * one, and returns the decisions, the last one by Redis.
   */
  private List<Decision> decideUntilRecovered(PolicyBinding binding)
      throws InterruptedException {
    List<Decision> decisions = new ArrayList<>();
    long deadline = System.nanoTime() + RECOVERY_TIMEOUT_NANOS;
    while (System.nanoTime() < deadline) {
      breakerNanos.addAndGet(PROBE_INTERVAL.toNanos());
      Decision decision = binding.tryAcquire("k", 1, Long.MAX_VALUE);
      decisions.add(decision);
      if (decision.source() == Source.STORE) {
        return decisions;
      }
      // Lettuce reconnects in the background, at most one probe interval apart.
      Thread.sleep(20);
    }
    throw new AssertionError("Redis did not decide within 60 s after the restart; "
        + decisions.size() + " decisions by the failure mode");
  }

  @Test
  void tryAcquire_passwordChanged_logsErrorThenRecovery() throws Exception {
    RedisStore store = store(FailureMode.DENY);
    PolicyBinding binding = store.bind(POLICY);
    binding.tryAcquire("k", 1, Long.MAX_VALUE);
    RedisClient admin = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      connection.sync().configSet("requirepass", "changed");
      connection.sync().clientKill(KillArgs.Builder.typeNormal().skipme());
      List<LogRecord> reconnect = List.of();
      long deadline = System.nanoTime() + RECOVERY_TIMEOUT_NANOS;
      while (reconnect.isEmpty() && System.nanoTime() < deadline) {
        binding.tryAcquire("k", 1, Long.MAX_VALUE);
        Thread.sleep(20);
        reconnect = records(Level.WARNING).stream()
            .filter(r -> r.getMessage().startsWith("Redis store cannot reconnect"))
            .toList();
      }
      // Lettuce keeps trying for a second more; the cause stays the same, so no new line.
      Thread.sleep(1_000);

      assertThat(reconnect).hasSize(1);
      assertThat(reconnect.get(0).getMessage())
          .startsWith("Redis store cannot reconnect uri=redis://127.0.0.1:" + server.port()
              + "/0 server=127.0.0.1:" + server.port() + " attempt=")
          .containsAnyOf("NOAUTH", "WRONGPASS");
      assertThat(records(Level.WARNING))
          .filteredOn(r -> r.getMessage().startsWith("Redis store cannot reconnect"))
          .hasSize(1);

      connection.sync().configSet("requirepass", "");
      List<LogRecord> reconnected = List.of();
      while (reconnected.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20);
        reconnected = records(Level.INFO).stream()
            .filter(r -> r.getMessage().startsWith("Redis store reconnected"))
            .toList();
      }

      assertThat(reconnected).singleElement().extracting(LogRecord::getMessage)
          .asString()
          .startsWith("Redis store reconnected uri=redis://127.0.0.1:" + server.port()
              + "/0 server=127.0.0.1:" + server.port() + " after error=\"")
          .containsAnyOf("NOAUTH", "WRONGPASS");
    } finally {
      admin.shutdown();
    }
  }

  @Test
  void tryAcquire_oneTimeoutThenReply_keepsBreakerClosed() throws Exception {
    RedisStore store = store(FailureMode.DENY);
    PolicyBinding binding = store.bind(POLICY);
    binding.tryAcquire("k", 1, Long.MAX_VALUE);
    RedisClient admin = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      // 3 s: past the 500 ms timeout plus its 100 ms tick, even on a slow machine.
      connection.sync().clientPause(3_000);

      Decision paused = binding.tryAcquire("k", 1, Long.MAX_VALUE);
      awaitUnpaused(connection);
      Decision after = binding.tryAcquire("k", 1, Long.MAX_VALUE);

      assertThat(paused.source()).isEqualTo(Source.FAILED_CLOSED);
      assertThat(after.source()).isEqualTo(Source.STORE);
      assertThat(store.breakerOpen()).isFalse();
      assertThat(records(Level.WARNING)).singleElement().extracting(LogRecord::getMessage)
          .asString().startsWith("Redis store calls failed while the breaker stayed closed ");
      assertThat(records(Level.INFO)).isEmpty();
    } finally {
      admin.shutdown();
    }
  }

  @Test
  void tryAcquire_failuresBelowBreaker_warnOncePerInterval() throws Exception {
    RedisStore store = store(FailureMode.DENY);
    PolicyBinding binding = store.bind(POLICY);
    binding.tryAcquire("k", 1, Long.MAX_VALUE);
    RedisClient admin = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      // Each pause of 1.5 s fails one decision (500 ms timeout plus its 100 ms tick), and the
      // decision after it succeeds, so the breaker never opens.
      for (int i = 0; i < 2; i++) {
        connection.sync().clientPause(1_500);
        assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).source())
            .isEqualTo(Source.FAILED_CLOSED);
        awaitUnpaused(connection);
        assertThat(binding.tryAcquire("k", 1, Long.MAX_VALUE).source())
            .isEqualTo(Source.STORE);
      }
      List<LogRecord> withinInterval = records(Level.WARNING);
      breakerNanos.addAndGet(SUMMARY_INTERVAL_NANOS);
      binding.tryAcquire("k", 0, Long.MAX_VALUE);
      binding.tryAcquire("k", 0, Long.MAX_VALUE);
      breakerNanos.addAndGet(SUMMARY_INTERVAL_NANOS);
      binding.tryAcquire("k", 0, Long.MAX_VALUE);

      // The first failure logs at once; the second waits for the end of the interval, and
      // the interval after it, without failures, logs nothing.
      String start = "Redis store calls failed while the breaker stayed closed uri=redis://"
          + "127.0.0.1:" + server.port() + "/0 on_failure=deny failure_mode_decisions=1"
          + " by_mode=deny:1 last_error=\"io.lettuce.core.RedisCommandTimeoutException: ";
      assertThat(withinInterval).singleElement().extracting(LogRecord::getMessage).asString()
          .startsWith(start)
          .endsWith("\"; the failure mode decided these requests since the last such line,"
              + " which is logged at most once per 10 s");
      assertThat(records(Level.WARNING)).hasSize(2);
      assertThat(records(Level.WARNING).get(1).getMessage()).startsWith(start);
      assertThat(records(Level.WARNING)).allSatisfy(r -> assertThat(r.getThrown()).isNull());
      assertThat(store.breakerOpen()).isFalse();
    } finally {
      admin.shutdown();
    }
  }

  @Test
  void tryAcquire_threeTimeoutsInARow_opensBreakerAndWarnsOnce() throws Exception {
    RedisStore store = store(FailureMode.DENY);
    PolicyBinding binding = store.bind(POLICY);
    binding.tryAcquire("k", 1, Long.MAX_VALUE);
    long before = store.redisAttempts();
    RedisClient admin = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      // 60 s: far past 3 timeouts of 500 ms; the server is killed after the test anyway.
      connection.sync().clientPause(60_000);

      List<Decision> paused = new ArrayList<>();
      List<Boolean> openAfter = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        paused.add(binding.tryAcquire("k", 1, Long.MAX_VALUE));
        openAfter.add(store.breakerOpen());
      }

      assertThat(paused).allSatisfy(d -> assertThat(d.source()).isEqualTo(Source.FAILED_CLOSED));
      // Closed after the first and second timeout, open after the third; the fourth decision
      // skips Redis, so 3 calls in all.
      assertThat(openAfter).containsExactly(false, false, true, true);
      assertThat(store.redisAttempts() - before).isEqualTo(3);
      // A timeout is an expected failure: one line with its class and message.
      assertThat(records(Level.WARNING)).singleElement().satisfies(r -> {
        assertThat(r.getMessage()).containsPattern(" error=\"[\\w.]*TimeoutException: ");
        assertThat(r.getThrown()).isNull();
      });
    } finally {
      // Ends the pause with the server, so that nothing waits for the rest of it.
      server.kill();
      admin.shutdown();
    }
  }

  @Test
  void build_serverPausedPastCommandTimeout_connectsAndLoadsScript() {
    RedisClient admin = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      // 2 s, far past the default 20 ms: the handshake and SCRIPT LOAD wait for the pause.
      connection.sync().clientPause(2_000);

      RedisStore store = RedisStore.builder().uri(server.uri()).build();
      stores.add(store);

      assertThat(store.breakerOpen()).isFalse();
      assertThat(store.redisAttempts()).isZero();
    } finally {
      admin.shutdown();
    }
  }

  @Test
  void build_warmUpDecision_leavesNoKey() {
    RedisStore store = RedisStore.builder().uri(server.uri()).build();
    stores.add(store);
    RedisClient admin = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      String commandStats = connection.sync().info("commandstats");

      assertThat(connection.sync().dbsize()).isZero();
      assertThat(commandStats).contains("cmdstat_evalsha:calls=1,");
      assertThat(store.redisAttempts()).isZero();
    } finally {
      admin.shutdown();
    }
  }

  /** Waits until a client pause ends, because Redis replies to a PING only after it. */
  private static void awaitUnpaused(StatefulRedisConnection<String, String> connection) {
    connection.sync().ping();
  }

  private static long countFailed(PolicyBinding binding, int decisions) {
    long failed = 0;
    for (int i = 0; i < decisions; i++) {
      Decision decision = binding.tryAcquire("k", 1, Long.MAX_VALUE);
      assertThat(decision.source()).isEqualTo(Source.FAILED_CLOSED);
      failed++;
    }
    return failed;
  }

  private List<LogRecord> records(Level level) {
    return log.records(level);
  }
}
