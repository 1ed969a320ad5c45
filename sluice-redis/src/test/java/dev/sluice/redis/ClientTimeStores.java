package dev.sluice.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Stores on one test Redis server that decide at the time of a fake clock, without expiry, as
 * the contract suite's stores do. Their 30 s timeout lets a slow script decide rather than time
 * out, and they deny when they cannot decide. Each store gets a key prefix of its own, and is
 * closed after the test that opened it. Register it in an instance field with
 * {@code @RegisterExtension}.
 */
final class ClientTimeStores implements AfterEachCallback {

  private final StandaloneRedis redis;
  private final FakeClock clock;
  private final String prefix;
  private final List<RedisStore> opened = new ArrayList<>();
  private int stores;

  ClientTimeStores(StandaloneRedis redis, FakeClock clock, String prefix) {
    this.redis = redis;
    this.clock = clock;
    this.prefix = prefix;
  }

  /** Opens a store on the clock with a key prefix that no other store of the test uses. */
  RedisStore open() {
    return closeAfterTest(RedisStore.builder().uri(redis.uri())
        .commandTimeout(Duration.ofSeconds(30))
        .onFailure(FailureMode.DENY)
        .keyPrefix(prefix + stores++)
        .timeMode(TimeMode.CLIENT).timeSource(clock)
        .withoutExpiry()
        .build());
  }

  /** Registers a store of the test's own to be closed after the test, and returns it. */
  RedisStore closeAfterTest(RedisStore store) {
    opened.add(store);
    return store;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    opened.forEach(RedisStore::close);
    opened.clear();
  }
}
