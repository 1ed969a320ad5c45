package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link RedisStore#close()} against a real server, and decisions after it. */
class RedisStoreCloseTest {

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();

  private static final Policy POLICY =
      Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofHours(1)));

  @Test
  void tryAcquire_afterClose_throwsClosed() {
    RedisStore store = store(false);
    PolicyBinding binding = store.bind(POLICY);

    store.close();

    String message = "Redis store is closed: uri=" + REDIS.uri() + "/0";
    assertThatThrownBy(() -> binding.tryAcquire("k", 1, 0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(message);
    assertThatThrownBy(() -> binding.tryAcquireAsync("k", 1, 0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(message);
  }

  @Test
  void tryAcquire_rememberedDenialAfterClose_throwsClosed() {
    RedisStore store = store(true);
    PolicyBinding binding = store.bind(POLICY);
    assertThat(binding.tryAcquire("k", 1, 0).allowed()).isTrue();
    assertThat(binding.tryAcquire("k", 1, 0).allowed()).isFalse();

    store.close();

    assertThatThrownBy(() -> binding.tryAcquire("k", 1, 0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("Redis store is closed: ");
  }

  @Test
  void bind_afterClose_throwsClosed() {
    RedisStore store = store(false);

    store.close();

    assertThatThrownBy(() -> store.bind(POLICY))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Redis store is closed: uri=" + REDIS.uri() + "/0");
  }

  @Test
  void close_twice_logsNothing() {
    RedisStore store = store(false);
    store.close();
    StoreLog log = StoreLog.openAll();
    try (log) {
      store.close();
    }

    assertThat(log.recordsFrom(Level.WARNING)).isEmpty();
  }

  @Test
  void close_decisionInFlight_decidedByFailureMode() throws Exception {
    RedisStore store = store(false);
    PolicyBinding binding = store.bind(POLICY);
    binding.tryAcquire("warm", 1, 0);
    // 3 s: the decision waits for the pause, and close() must not wait for it.
    REDIS.commands().clientPause(3_000);
    CompletableFuture<Decision> inFlight =
        binding.tryAcquireAsync("k", 1, 0).toCompletableFuture();

    store.close();

    Decision decision = inFlight.get(10, TimeUnit.SECONDS);
    assertThat(decision.source()).isEqualTo(Source.FAILED_CLOSED);
    REDIS.commands().ping();
  }

  private static RedisStore store(boolean denyCache) {
    return RedisStore.builder()
        .uri(REDIS.uri())
        .commandTimeout(Duration.ofSeconds(30))
        .onFailure(FailureMode.DENY)
        .denyCache(denyCache)
        .build();
  }
}
