package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link DenyCache} over a binding that denies every request and counts its calls. */
class DenyCacheTest {

  private static final long SECOND = 1_000_000_000L;
  private static final Policy POLICY = Policy.of("p",
      Limit.of(Algorithm.FIXED_WINDOW, 1, Duration.ofSeconds(10)));

  private final AtomicLong now = new AtomicLong(-5 * SECOND);
  private final CountingBinding store = new CountingBinding();

  /** Denies with a retry after set by the test, and counts calls. */
  private static final class CountingBinding implements PolicyBinding {
    long calls;
    Decision next = Decision.deny("fixed_window", 1, 0, 3 * SECOND, 3 * SECOND);

    @Override
    public Policy policy() {
      return POLICY;
    }

    @Override
    public Decision tryAcquire(String key, long cost, long maxDelayNanos) {
      calls++;
      return next;
    }
  }

  @Test
  void tryAcquire_repeatedDenial_countsDownLocally() {
    DenyCache cache = new DenyCache(store, now::get, 10);
    cache.tryAcquire("k", 1, Long.MAX_VALUE);

    now.addAndGet(SECOND);
    Decision repeated = cache.tryAcquire("k", 1, Long.MAX_VALUE);

    assertThat(store.calls).isEqualTo(1);
    assertThat(repeated).isEqualTo(Decision.deny("fixed_window", 1, 0, 2 * SECOND, 2 * SECOND));
    now.addAndGet(2 * SECOND);
    cache.tryAcquire("k", 1, Long.MAX_VALUE);
    assertThat(store.calls).as("calls once the retry after has passed").isEqualTo(2);
  }

  @Test
  void fullCache_newKeyNotRemembered() {
    DenyCache cache = new DenyCache(store, now::get, 2);
    cache.tryAcquire("a", 1, Long.MAX_VALUE);
    cache.tryAcquire("b", 1, Long.MAX_VALUE);

    cache.tryAcquire("c", 1, Long.MAX_VALUE);
    cache.tryAcquire("c", 1, Long.MAX_VALUE);

    assertThat(store.calls).isEqualTo(4);
    assertThat(cache.size()).isEqualTo(2);
  }

  @Test
  void tryAcquire_fullCacheAfterExpiry_makesRoom() {
    DenyCache cache = new DenyCache(store, now::get, 2);
    cache.tryAcquire("a", 1, Long.MAX_VALUE);
    cache.tryAcquire("b", 1, Long.MAX_VALUE);
    now.addAndGet(3 * SECOND);

    cache.tryAcquire("c", 1, Long.MAX_VALUE);
    cache.tryAcquire("c", 1, Long.MAX_VALUE);

    assertThat(store.calls).isEqualTo(3);
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void otherDenials_notRemembered() {
    DenyCache cache = new DenyCache(store, now::get, 10);
    Decision[] denials = {
        Decision.deny("fixed_window", 1, 0, 0, SECOND).withSource(Decision.Source.FAILED_CLOSED),
        Decision.deny("fixed_window", 1, 0, 0, Decision.NEVER),
        Decision.deny("fixed_window", 1, 0, 0, 0),
    };

    for (Decision denial : denials) {
      store.next = denial;
      cache.tryAcquire("k", 1, Long.MAX_VALUE);
      cache.tryAcquire("k", 1, Long.MAX_VALUE);
    }

    assertThat(store.calls).isEqualTo(6);
    assertThat(cache.size()).isZero();
  }

  @Test
  void tryAcquireAsync_repeatedDenial_completesLocally() {
    DenyCache cache = new DenyCache(store, now::get, 10);
    cache.tryAcquireAsync("k", 1, Long.MAX_VALUE).toCompletableFuture().join();

    Decision repeated = cache.tryAcquireAsync("k", 1, Long.MAX_VALUE).toCompletableFuture()
        .join();

    assertThat(repeated.allowed()).isFalse();
    assertThat(store.calls).isEqualTo(1);
  }

  @Test
  void tryAcquire_negativeCost_rejected() {
    DenyCache cache = new DenyCache(store, now::get, 10);

    assertThatThrownBy(() -> cache.tryAcquire("k", -1, Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cost must be at least 0, got -1");
  }
}
