package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.redis.Breaker.Attempt;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The circuit breaker on a clock that only the test moves. */
class BreakerTest {

  private static final long INTERVAL = 1_000;
  private static final int THRESHOLD = 3;

  private final AtomicLong now = new AtomicLong(5_000);
  private final Breaker breaker = new Breaker(
      now::get, INTERVAL, THRESHOLD, "uri=test on_failure=allow", FailureMode.ALLOW);
  private StoreLog log;

  @BeforeEach
  void captureLog() {
    log = StoreLog.open();
  }

  @AfterEach
  void releaseLog() {
    log.close();
  }

  @Test
  void tryAttempt_closed_callsEveryTime() {
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.CALL);
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.CALL);
    assertThat(breaker.attempts()).isEqualTo(2);
  }

  @Test
  void recordFailure_belowThreshold_staysClosedWithoutLog() {
    failCalls(THRESHOLD - 1, new RedisCommandTimeoutException("Command timed out"));

    assertThat(breaker.isOpen()).isFalse();
    assertThat(breaker.failedCalls()).isEqualTo(2);
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.CALL);
    assertThat(records(Level.INFO)).isEmpty();
    assertThat(records(Level.WARNING)).isEmpty();
  }

  @Test
  void recordFailure_thresholdConsecutive_opens() {
    failCalls(THRESHOLD, new RedisCommandTimeoutException("Command timed out"));

    assertThat(breaker.isOpen()).isTrue();
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.SKIP);
    assertThat(records(Level.WARNING)).hasSize(1);
  }

  @Test
  void recordSuccess_betweenFailures_resetsCount() {
    failCalls(2, new RedisCommandTimeoutException("Command timed out"));
    breaker.recordSuccess(breaker.tryAttempt());
    failCalls(2, new RedisCommandTimeoutException("Command timed out"));

    // 2 failed calls, a success, 2 more: never 3 in a row.
    assertThat(breaker.isOpen()).isFalse();
    assertThat(breaker.failedCalls()).isEqualTo(2);
    breaker.recordFailure(new RedisCommandTimeoutException("Command timed out"));
    assertThat(breaker.isOpen()).isTrue();
  }

  @Test
  void recordFailure_thresholdOne_opensOnFirstFailure() {
    Breaker eager = new Breaker(now::get, INTERVAL, 1, "uri=test on_failure=deny",
        FailureMode.DENY);

    eager.recordFailure(new IllegalStateException("down"));

    assertThat(eager.isOpen()).isTrue();
    assertThat(eager.tryAttempt()).isEqualTo(Attempt.SKIP);
    assertThat(records(Level.WARNING)).singleElement().extracting(LogRecord::getMessage)
        .asString().contains(" failure_threshold=1 ");
  }

  @Test
  void tryAttempt_afterOpening_skipsUntilOneProbePerInterval() {
    failCalls(THRESHOLD, new IllegalStateException("down"));

    Attempt beforeInterval = breaker.tryAttempt();
    now.addAndGet(INTERVAL - 1);
    Attempt oneNanoBefore = breaker.tryAttempt();
    now.addAndGet(1);
    Attempt atInterval = breaker.tryAttempt();
    Attempt afterProbe = breaker.tryAttempt();

    assertThat(beforeInterval).isEqualTo(Attempt.SKIP);
    assertThat(oneNanoBefore).isEqualTo(Attempt.SKIP);
    assertThat(atInterval).isEqualTo(Attempt.PROBE);
    assertThat(afterProbe).isEqualTo(Attempt.SKIP);
    assertThat(breaker.attempts()).isEqualTo(1);
  }

  @Test
  void recordSuccess_ofCallSentBeforeOpening_keepsOpen() {
    failCalls(THRESHOLD, new IllegalStateException("down"));

    breaker.recordSuccess(Attempt.CALL);

    assertThat(breaker.isOpen()).isTrue();
  }

  @Test
  void recordSuccess_ofProbe_closes() {
    failCalls(THRESHOLD, new IllegalStateException("down"));
    now.addAndGet(INTERVAL);
    Attempt probe = breaker.tryAttempt();

    breaker.recordSuccess(probe);

    assertThat(breaker.isOpen()).isFalse();
    assertThat(breaker.failedCalls()).isZero();
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.CALL);
  }

  @Test
  void recordFailure_ofProbe_waitsAnotherInterval() {
    failCalls(THRESHOLD, new IllegalStateException("down"));
    now.addAndGet(INTERVAL);
    breaker.tryAttempt();

    breaker.recordFailure(new IllegalStateException("still down"));

    assertThat(breaker.isOpen()).isTrue();
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.SKIP);
    now.addAndGet(INTERVAL);
    assertThat(breaker.tryAttempt()).isEqualTo(Attempt.PROBE);
  }

  @Test
  void recordSuccess_afterRecovery_needsThresholdFailuresAgain() {
    failCalls(THRESHOLD, new IllegalStateException("down"));
    now.addAndGet(INTERVAL);
    breaker.recordSuccess(breaker.tryAttempt());

    failCalls(THRESHOLD - 1, new IllegalStateException("down again"));

    assertThat(breaker.isOpen()).isFalse();
    assertThat(records(Level.WARNING)).hasSize(1);
  }

  @Test
  void recordFailure_threeModes_warnsOnce() {
    breaker.forPolicy("login", FailureMode.DENY);
    breaker.forPolicy("search", FailureMode.ALLOW);
    breaker.forPolicy("api", FailureMode.ALLOW);
    breaker.forPolicy("upload", FailureMode.LOCAL);

    failCalls(THRESHOLD, new IllegalStateException("down"));
    breaker.recordFailure(new IllegalStateException("still down"));

    assertThat(records(Level.WARNING)).singleElement().satisfies(r -> {
      assertThat(r.getMessage()).isEqualTo("Redis store failed uri=test on_failure=allow"
          + " policies_on_failure=deny:1,allow:2,local:1 probe_interval_ms=0"
          + " failure_threshold=3 failing_ms=0 error=\"java.lang.IllegalStateException: down\";"
          + " each policy"
          + " decides by its failure mode until a probe succeeds");
      assertThat(r.getThrown()).hasMessage("down");
    });
  }

  @Test
  void recordFailure_burstShorterThanDuration_staysClosed() {
    Breaker lasting = new Breaker(now::get, INTERVAL, THRESHOLD, 100, "uri=test",
        FailureMode.ALLOW);

    // Ten failures 10 ns apart span 90 ns: a burst such as the calls in flight during a stall.
    for (int i = 0; i < 10; i++) {
      lasting.recordFailure(new RedisCommandTimeoutException("Command timed out"));
      now.addAndGet(10);
    }
    assertThat(lasting.isOpen()).isFalse();
    lasting.recordSuccess(lasting.tryAttempt());
    assertThat(lasting.failedCalls()).isZero();
    assertThat(records(Level.WARNING)).isEmpty();
  }

  @Test
  void recordFailure_failingForTheDuration_opens() {
    Breaker lasting = new Breaker(now::get, INTERVAL, THRESHOLD, 100, "uri=test",
        FailureMode.ALLOW);

    // Failures at 0, 50 and 99 ns after the first: 3 calls, but not yet 100 ns of failing.
    lasting.recordFailure(new RedisCommandTimeoutException("Command timed out"));
    now.addAndGet(50);
    lasting.recordFailure(new RedisCommandTimeoutException("Command timed out"));
    now.addAndGet(49);
    lasting.recordFailure(new RedisCommandTimeoutException("Command timed out"));
    assertThat(lasting.isOpen()).isFalse();
    now.addAndGet(1);
    lasting.recordFailure(new RedisCommandTimeoutException("Command timed out"));

    assertThat(lasting.isOpen()).isTrue();
    assertThat(records(Level.WARNING)).singleElement().extracting(LogRecord::getMessage)
        .asString().contains("failure_threshold=3 failing_ms=0 ");
  }

  @Test
  void recordKeyError_wrongTypeReply_closesProbeAndWarnsOncePerInterval() {
    failCalls(THRESHOLD, new RedisCommandTimeoutException("Command timed out"));
    now.addAndGet(INTERVAL);
    RedisCommandExecutionException wrongType = new RedisCommandExecutionException(
        "WRONGTYPE Operation against a key holding the wrong kind of value");

    breaker.recordKeyError(breaker.tryAttempt(), "sluice:{k}:a", wrongType);
    breaker.recordKeyError(breaker.tryAttempt(), "sluice:{k}:a", wrongType);
    now.addAndGet(INTERVAL);
    breaker.recordKeyError(breaker.tryAttempt(), "sluice:{k}:a", wrongType);

    // The probe got a reply, so Redis works: the breaker closed and stays closed.
    assertThat(breaker.isOpen()).isFalse();
    assertThat(records(Level.WARNING)).filteredOn(r -> r.getMessage().contains("stored state"))
        .hasSize(2).allSatisfy(r -> assertThat(r.getMessage())
            .contains("keys=\"sluice:{k}:a\"", "WRONGTYPE"));
  }

  @Test
  void isKeyError_replies_tellsKeyFromServer() {
    assertThat(Breaker.isKeyError(new RedisCommandExecutionException(
        "WRONGTYPE Operation against a key holding the wrong kind of value script: 1f2, on"
            + " @user_script:52."))).isTrue();
    assertThat(Breaker.isKeyError(new RedisCommandExecutionException(
        "ERR user_script:300: invalid stored bucket numbers: x script: 1f2, on"
            + " @user_script:300."))).isTrue();
    assertThat(Breaker.isKeyError(new CompletionException(new RedisCommandExecutionException(
        "ERR Error running script (call to f_1f2): @user_script:12: WRONGTYPE Operation"))))
        .isTrue();
    assertThat(Breaker.isKeyError(new RedisCommandExecutionException(
        "READONLY You can't write against a read only replica. script: 1f2, on"
            + " @user_script:80."))).isFalse();
    assertThat(Breaker.isKeyError(new RedisCommandExecutionException(
        "OOM command not allowed when used memory > 'maxmemory'. script: 1f2"))).isFalse();
    assertThat(Breaker.isKeyError(new RedisCommandExecutionException(
        "ERR The user executing the script can't run this command or subcommand script: 1f2,"
            + " on @user_script:38."))).isFalse();
    assertThat(Breaker.isKeyError(new RedisCommandExecutionException(
        "NOPERM this user has no permissions to access one of the keys used as arguments")))
        .isFalse();
    assertThat(Breaker.isKeyError(new RedisCommandTimeoutException("Command timed out")))
        .isFalse();
  }

  @Test
  void recordFailure_concurrentThreads_losesNoCount() throws Exception {
    Breaker patient = new Breaker(now::get, INTERVAL, Integer.MAX_VALUE, "uri=test",
        FailureMode.ALLOW);
    int threads = 4;
    int failuresEach = 10_000;

    runConcurrently(threads, () -> {
      for (int i = 0; i < failuresEach; i++) {
        patient.recordFailure(new RedisCommandTimeoutException("Command timed out"));
      }
    });

    // 4 threads x 10,000 failed calls, each counted once by compare-and-set.
    assertThat(patient.failedCalls()).isEqualTo(40_000);
    assertThat(patient.isOpen()).isFalse();
  }

  @Test
  void recordFailure_concurrentThreads_warnsOnce() throws Exception {
    runConcurrently(4, () -> {
      for (int i = 0; i < 1_000; i++) {
        breaker.recordFailure(new RedisCommandTimeoutException("Command timed out"));
      }
    });

    assertThat(breaker.isOpen()).isTrue();
    assertThat(records(Level.WARNING)).hasSize(1);
  }

  /** Lists failures that a slow or unreachable Redis causes, as Lettuce 6.8 reports them. */
  static Stream<Throwable> expectedFailures() {
    return Stream.of(
        new TimeoutException("timed out after 500 ms"),
        new RedisCommandTimeoutException("Command timed out after 500 millisecond(s)"),
        new RedisConnectionException("Unable to connect to 127.0.0.1:6379"),
        new RedisException("Connection closed"),
        new RedisException("Connection disconnected"),
        new RedisException("Currently not connected. Commands are rejected."),
        new CompletionException(new ConnectException("Connection refused")),
        new RedisCommandExecutionException("BUSY Redis is busy running a script. You can only"
            + " call SCRIPT KILL or SHUTDOWN NOSAVE."),
        new RedisCommandExecutionException("READONLY You can't write against a read only"
            + " replica."),
        new RedisCommandExecutionException("OOM command not allowed when used memory >"
            + " 'maxmemory'."),
        new RedisCommandExecutionException("NOPERM User app has no permissions to run the"
            + " 'evalsha' command"));
  }

  @ParameterizedTest
  @MethodSource("expectedFailures")
  void recordFailure_expectedFailure_logsWithoutStackTrace(Throwable failure) {
    failCalls(THRESHOLD, failure);

    assertThat(records(Level.WARNING)).singleElement().satisfies(r -> {
      assertThat(r.getMessage())
          .contains(" error=\"" + failure.getClass().getName() + ": " + failure.getMessage()
              + "\"; ");
      assertThat(r.getThrown()).isNull();
    });
  }

  @Test
  void recordFailure_scriptError_logsOneStackTrace() {
    RedisCommandExecutionException scriptError = new RedisCommandExecutionException(
        "WRONGTYPE Operation against a key holding the wrong kind of value");

    failCalls(THRESHOLD, scriptError);
    now.addAndGet(INTERVAL);
    breaker.tryAttempt();
    breaker.recordFailure(new RedisCommandTimeoutException("Command timed out"));
    breaker.recordFailure(scriptError);

    assertThat(records(Level.WARNING)).singleElement().satisfies(r -> {
      assertThat(r.getMessage()).contains(" error=\"io.lettuce.core."
          + "RedisCommandExecutionException: WRONGTYPE Operation against a key holding the"
          + " wrong kind of value\"; ");
      assertThat(r.getThrown()).isSameAs(scriptError);
    });
  }

  @Test
  void recordFailure_otherRedisError_keepsStackTrace() {
    failCalls(THRESHOLD, new RedisException("ERR unknown command"));

    assertThat(records(Level.WARNING)).singleElement().extracting(LogRecord::getThrown)
        .isNotNull();
  }

  @Test
  void describe_quotesAndLineBreaks_escaped() {
    String described = Breaker.describe(new IllegalStateException("bad \"x\"\r\nat C:\\y"));

    assertThat(described).isEqualTo("java.lang.IllegalStateException: bad \\\"x\\\" at C:\\\\y");
  }

  @Test
  void recordFailure_policyBoundTwice_countsLatestMode() {
    breaker.forPolicy("login", FailureMode.ALLOW);
    breaker.forPolicy("login", FailureMode.DENY);

    failCalls(THRESHOLD, new IllegalStateException("down"));

    assertThat(records(Level.WARNING)).singleElement().extracting(LogRecord::getMessage)
        .asString().contains(" policies_on_failure=deny:1 ");
  }

  @Test
  void recordSuccess_twoModes_logsCountPerMode() {
    Breaker login = breaker.forPolicy("login", FailureMode.DENY);
    Breaker search = breaker.forPolicy("search", FailureMode.ALLOW);
    failCalls(THRESHOLD, new IllegalStateException("down"));
    for (int i = 0; i < 3; i++) {
      login.countFallback();
    }
    for (int i = 0; i < 5; i++) {
      search.countFallback();
    }
    now.addAndGet(2_500_000);
    Attempt probe = search.tryAttempt();

    search.recordSuccess(probe);

    // 3 denials + 5 admissions = 8; the clock moved 2,500,000 ns = 2 ms (rounded down).
    assertThat(records(Level.INFO)).singleElement().extracting(LogRecord::getMessage)
        .isEqualTo("Redis store recovered uri=test on_failure=allow outage_ms=2"
            + " failure_mode_decisions=8 by_mode=deny:3,allow:5");
  }

  @Test
  void recordSuccess_secondOutage_countsItsOwn() {
    Breaker login = breaker.forPolicy("login", FailureMode.DENY);
    failCalls(THRESHOLD, new IllegalStateException("down"));
    login.countFallback();
    now.addAndGet(INTERVAL);
    breaker.recordSuccess(breaker.tryAttempt());
    failCalls(THRESHOLD, new IllegalStateException("down again"));
    now.addAndGet(INTERVAL);

    breaker.recordSuccess(breaker.tryAttempt());

    assertThat(records(Level.WARNING)).hasSize(2);
    assertThat(records(Level.INFO)).extracting(LogRecord::getMessage).containsExactly(
        "Redis store recovered uri=test on_failure=allow outage_ms=0 failure_mode_decisions=1"
            + " by_mode=deny:1",
        "Redis store recovered uri=test on_failure=allow outage_ms=0 failure_mode_decisions=0"
            + " by_mode=none");
  }

  @Test
  void countFallback_storeBreaker_countsStoreMode() {
    failCalls(THRESHOLD, new IllegalStateException("down"));
    breaker.countFallback();
    now.addAndGet(INTERVAL);

    breaker.recordSuccess(breaker.tryAttempt());

    assertThat(records(Level.INFO)).singleElement().extracting(LogRecord::getMessage)
        .asString().endsWith(" failure_mode_decisions=1 by_mode=allow:1");
  }

  @Test
  void recordSuccess_afterOpening_measuresOutageFromFirstFailure() {
    breaker.recordFailure(new IllegalStateException("down"));
    now.addAndGet(1_000_000);
    breaker.recordFailure(new IllegalStateException("down"));
    now.addAndGet(1_000_000);
    breaker.recordFailure(new IllegalStateException("down"));
    now.addAndGet(1_000_000);

    breaker.recordSuccess(breaker.tryAttempt());

    // The first failed call came 3 x 1,000,000 ns = 3 ms before the successful probe.
    assertThat(records(Level.INFO)).singleElement().extracting(LogRecord::getMessage)
        .asString().contains(" outage_ms=3 ");
  }

  @Test
  void countFallback_runBelowThreshold_notCountedInNextOutage() {
    breaker.recordFailure(new IllegalStateException("blip"));
    breaker.countFallback();
    breaker.recordSuccess(breaker.tryAttempt());
    for (int i = 0; i < THRESHOLD; i++) {
      breaker.recordFailure(new IllegalStateException("down"));
      breaker.countFallback();
    }
    breaker.countFallback();
    now.addAndGet(INTERVAL);

    breaker.recordSuccess(breaker.tryAttempt());

    // The blip's fallback ended with the success after it: 3 failed calls + 1 skipped = 4.
    assertThat(records(Level.INFO)).singleElement().extracting(LogRecord::getMessage)
        .asString().endsWith(" failure_mode_decisions=4 by_mode=allow:4");
  }

  @Test
  void recordSuccess_runWithoutFallbacks_logsNoSummary() {
    breaker.recordFailure(new IllegalStateException("blip"));

    breaker.recordSuccess(breaker.tryAttempt());

    assertThat(records(Level.WARNING)).isEmpty();
  }

  /** Closing a store fails its calls in flight on purpose, which is no failure to report. */
  @Test
  void recordSuccess_afterStoreClosed_logsNoSummary() {
    Attempt inFlight = breaker.tryAttempt();
    breaker.recordFailure(new IllegalStateException("Connection closed"));
    breaker.countFallback();
    breaker.closeStore("Redis store is closed: uri=test");

    breaker.recordSuccess(inFlight);

    assertThat(records(Level.WARNING)).isEmpty();
  }

  @Test
  void recordSuccess_runThatOpened_notInSummary() {
    failCalls(THRESHOLD, new IllegalStateException("down"));
    breaker.countFallback();
    now.addAndGet(INTERVAL);
    breaker.recordSuccess(breaker.tryAttempt());

    breaker.recordSuccess(breaker.tryAttempt());

    // The outage's decision is counted in the recovery line, and no summary follows.
    assertThat(records(Level.INFO)).singleElement().extracting(LogRecord::getMessage)
        .asString().endsWith(" failure_mode_decisions=1 by_mode=allow:1");
    assertThat(records(Level.WARNING)).singleElement().extracting(LogRecord::getMessage)
        .asString().startsWith("Redis store failed uri=test ");
  }

  private void failCalls(int calls, Throwable error) {
    for (int i = 0; i < calls; i++) {
      breaker.recordFailure(error);
    }
  }

  /** Runs a task on several threads released at once, and waits for all of them. */
  private static void runConcurrently(int threads, Runnable task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          start.await();
          task.run();
          return null;
        }));
      }
      start.countDown();
      for (Future<?> future : done) {
        future.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private List<LogRecord> records(Level level) {
    return log.records(level);
  }
}
