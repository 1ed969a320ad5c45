package dev.sluice.redis;

import dev.sluice.TimeSource;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.RateLimitStore;

/** Runs the store contract on the in-memory store, the reference for the Redis store. */
class InMemoryStoreContractTest extends StoreContract {

  @Override
  protected RateLimitStore storeFor(TimeSource time) {
    return InMemoryStore.builder().timeSource(time).build();
  }
}
