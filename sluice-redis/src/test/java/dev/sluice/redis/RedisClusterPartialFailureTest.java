package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One master of a three-master Redis Cluster stops replying while the other two decide, so
 * successful calls keep the breaker closed, and the failure-mode decisions must still reach
 * a WARNING.
 */
class RedisClusterPartialFailureTest {

  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 100, Duration.ofMinutes(1)));
  private static final long SUMMARY_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final Pattern COUNTS =
      Pattern.compile(" failure_mode_decisions=(\\d+) by_mode=deny:(\\d+) last_error=\"");

  @Test
  void tryAcquire_oneMasterPaused_summarisesFallbacks() {
    AtomicLong breakerNanos = new AtomicLong();
    try (RedisCluster cluster = RedisCluster.start(3);
        StoreLog log = StoreLog.open();
        RedisStore store = RedisStore.builder()
            .clusterSeeds(cluster.seeds())
            .commandTimeout(Duration.ofMillis(200))
            .onFailure(FailureMode.DENY)
            .breakerClock(breakerNanos::get)
            .build()) {
      RedisBinding binding = (RedisBinding) store.bind(POLICY);
      RedisCommands<String, String> paused = cluster.masterOf(binding.keysOf("user-0")[0]);
      // 10 s: longer than 30 decisions, of which those on this master wait 200 ms each.
      paused.clientPause(10_000);
      long failed = 0;
      for (int i = 0; i < 30; i++) {
        Decision decision = binding.tryAcquire("user-" + i, 1, Long.MAX_VALUE);
        failed += decision.source() == Source.FAILED_CLOSED ? 1 : 0;
      }
      breakerNanos.addAndGet(SUMMARY_INTERVAL_NANOS);
      // A key whose slot another master serves.
      String healthy = "user-1";
      for (int i = 2; cluster.masterOf(binding.keysOf(healthy)[0]) == paused; i++) {
        healthy = "user-" + i;
      }
      assertThat(binding.tryAcquire(healthy, 0, Long.MAX_VALUE).source())
          .isEqualTo(Source.STORE);

      // The first summary came with the first success after the first failure, the second
      // one interval later with the rest.
      assertThat(failed).isBetween(1L, 29L);
      assertThat(store.breakerOpen()).isFalse();
      assertThat(log.records(Level.WARNING)).hasSize(2);
      long summed = 0;
      for (LogRecord record : log.records(Level.WARNING)) {
        assertThat(record.getMessage())
            .startsWith("Redis store calls failed while the breaker stayed closed ");
        Matcher counts = COUNTS.matcher(record.getMessage());
        assertThat(counts.find()).as(record.getMessage()).isTrue();
        assertThat(counts.group(2)).isEqualTo(counts.group(1));
        summed += Long.parseLong(counts.group(1));
      }
      assertThat(summed).isEqualTo(failed);
    }
  }
}
