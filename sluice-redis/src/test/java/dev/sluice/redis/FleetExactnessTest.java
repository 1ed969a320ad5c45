package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Several instances of a service, each a JVM with its own {@link RedisStore} and connection,
 * send requests for the same key at once, and together admit exactly what the limit allows.
 * Each instance is a {@link FleetWorker} process, and all wait on one start signal in Redis.
 */
class FleetExactnessTest {

  private static final long SECOND = 1_000_000_000L;
  private static final Pattern RESULT = Pattern.compile("admitted=(\\d+) retry=(\\d+)");

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();

  private final List<Process> workers = new ArrayList<>();

  @AfterEach
  void stopWorkers() throws InterruptedException {
    for (Process worker : workers) {
      worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static RedisCommands<String, String> redis() {
    return REDIS.commands();
  }

  /**
   * Fixed window 100 per hour on the server's clock: 3 instances of 4 threads each send 80
   * requests, 240 in all, so exactly the 100 of the window are admitted. The test is skipped in
   * the rare run that straddles the hour boundary, where a second window opens.
   */
  @Test
  void fixedWindow_threeProcesses_admitExactlyLimit() throws Exception {
    long hourBefore = serverSeconds() / 3600;
    for (int i = 0; i < 3; i++) {
      start("fixed_window", 100, Duration.ofHours(1), "server", 4, 20, 0);
    }

    List<long[]> results = release();

    assumeTrue(serverSeconds() / 3600 == hourBefore, "the run crossed an hour boundary");
    assertThat(results.stream().mapToLong(r -> r[0]).sum()).isEqualTo(100);
  }

  /**
   * GCRA 10 per 60 s, burst 10 (emission interval T = 6 s), all at one client time t0. With 9
   * consumed, 50 concurrent requests from 2 instances (25 each) leave room for exactly 1. The
   * 10th admission moves the theoretical arrival time to t0 + 60 s. A request is admitted
   * once that time is at most (burst - 1) * T = 54 s ahead, so every denial has a retry after
   * of 60 - 54 = 6 s, and at t0 + 6 s exactly one more is admitted.
   */
  @Test
  void gcra_twoProcessesOneLeft_admitExactlyOne() throws Exception {
    FakeClock clock = new FakeClock(1_700_000_000L * SECOND);
    long t0 = clock.nanos();
    try (RedisStore store = clientTimed(clock)) {
      PolicyBinding gcra = store.bind(Policy.of("fleet", gcra()));
      for (int i = 0; i < 9; i++) {
        assertThat(gcra.tryAcquire("shared", 1, Long.MAX_VALUE).allowed()).as("request %d", i)
            .isTrue();
      }
      for (int i = 0; i < 2; i++) {
        start("gcra", 10, Duration.ofSeconds(60), Long.toString(t0), 5, 5, 6 * SECOND);
      }

      List<long[]> results = release();

      assertThat(results.stream().mapToLong(r -> r[0]).sum()).isEqualTo(1);
      assertThat(results.stream().mapToLong(r -> r[1]).sum()).as("denials with retry after 6 s")
          .isEqualTo(49);
      clock.advance(6 * SECOND - 1);
      assertThat(gcra.tryAcquire("shared", 1, Long.MAX_VALUE).retryAfterNanos()).isEqualTo(1);
      clock.advance(1);
      assertThat(gcra.tryAcquire("shared", 1, Long.MAX_VALUE).allowed()).isTrue();
      Decision next = gcra.tryAcquire("shared", 1, Long.MAX_VALUE);
      assertThat(next.allowed()).isFalse();
      assertThat(next.retryAfterNanos()).isEqualTo(6 * SECOND);
    }
  }

  private static Limit gcra() {
    return Limit.of(Algorithm.GCRA, 10, Duration.ofSeconds(60)).withBurst(10);
  }

  private RedisStore clientTimed(FakeClock clock) {
    return RedisStore.builder().uri(REDIS.uri()).commandTimeout(Duration.ofSeconds(30))
        .timeMode(TimeMode.CLIENT).timeSource(clock).withoutExpiry().build();
  }

  private void start(String algorithm, long limit, Duration period, String time, int threads,
      int requests, long expectedRetryNanos) throws IOException {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator
        + "java";
    Process worker = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), FleetWorker.class.getName(),
        REDIS.uri(), algorithm, Long.toString(limit), Long.toString(period.toMillis()), time,
        "shared", Integer.toString(threads), Integer.toString(requests),
        Long.toString(expectedRetryNanos))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    workers.add(worker);
  }

  /** Waits until every worker is ready, releases them all at once and reads their results. */
  private List<long[]> release() throws Exception {
    List<BufferedReader> outputs = new ArrayList<>();
    for (Process worker : workers) {
      BufferedReader output = new BufferedReader(
          new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
      assertThat(output.readLine()).as("first line of a worker").isEqualTo("ready");
      outputs.add(output);
    }
    String[] tokens = new String[workers.size()];
    Arrays.fill(tokens, "go");
    redis().rpush("fleet:go", tokens);
    List<long[]> results = new ArrayList<>();
    for (int i = 0; i < workers.size(); i++) {
      String line = outputs.get(i).readLine();
      Matcher result = RESULT.matcher(String.valueOf(line));
      assertThat(result.matches()).as("result line of worker %d: %s", i, line).isTrue();
      assertThat(workers.get(i).waitFor(60, TimeUnit.SECONDS)).as("worker %d exited", i).isTrue();
      results.add(new long[] {Long.parseLong(result.group(1)), Long.parseLong(result.group(2))});
    }
    return results;
  }

  private static long serverSeconds() {
    return Long.parseLong(redis().time().get(0));
  }
}
