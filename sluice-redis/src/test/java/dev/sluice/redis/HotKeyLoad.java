package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import dev.sluice.store.PolicyBinding;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Concurrent requests on one key, for the tests of exactness under contention. */
final class HotKeyLoad {

  private HotKeyLoad() {
  }

  /**
   * Sends {@code perThread} requests of cost 1 for {@code key} from each of {@code threads}
   * threads, all released at once, and returns the units admitted in all. Every decision must
   * come from the store, not from the failure mode.
   */
  static long admitted(PolicyBinding binding, String key, int threads, int perThread)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Long>> admitted = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        admitted.add(pool.submit(() -> {
          start.await();
          long count = 0;
          for (int i = 0; i < perThread; i++) {
            Decision decision = binding.tryAcquire(key, 1, Long.MAX_VALUE);
            assertThat(decision.source()).isEqualTo(Source.STORE);
            count += decision.allowed() ? 1 : 0;
          }
          return count;
        }));
      }
      start.countDown();
      long total = 0;
      for (Future<Long> count : admitted) {
        total += count.get(60, TimeUnit.SECONDS);
      }
      return total;
    } finally {
      pool.shutdownNow();
    }
  }
}
