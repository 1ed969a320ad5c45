package dev.sluice.redis;

import dev.sluice.TimeSource;
import dev.sluice.store.RateLimitStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Runs the store contract on the Redis store in {@link TimeMode#CLIENT}, so that it reads the
 * same fake clock as the in-memory reference. Keys get no expiry here, because Redis would
 * expire them on its own clock, which the fake clock does not follow.
 */
class RedisStoreContractTest extends StoreContract {

  @RegisterExtension
  static final StandaloneRedis REDIS = new StandaloneRedis();
  private static int stores;
  private final List<RedisStore> opened = new ArrayList<>();

  @AfterEach
  void closeStores() {
    opened.forEach(RedisStore::close);
  }

  @Override
  protected RateLimitStore storeFor(TimeSource time) {
    RedisStore store = RedisStore.builder()
        .uri(REDIS.uri())
        // A failure must fail the comparison, not turn into a fail-open decision.
        .commandTimeout(Duration.ofSeconds(30))
        .onFailure(FailureMode.DENY)
        .keyPrefix("contract" + stores++)
        .timeMode(TimeMode.CLIENT)
        .timeSource(time)
        .withoutExpiry()
        .build();
    opened.add(store);
    return store;
  }
}
