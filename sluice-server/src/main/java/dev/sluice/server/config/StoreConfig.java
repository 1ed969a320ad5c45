package dev.sluice.server.config;

import dev.sluice.TimeSource;
import dev.sluice.store.AtCapacity;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.RateLimitStore;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code store} section of a config: where per-key state lives. The in-memory store uses
 * {@code maxKeys} and {@code atCapacity}; a Redis store is chosen by {@code redis}.
 *
 * @param maxKeys the cap on tracked keys over all policies, at least 1; memory store only
 * @param atCapacity what happens to a new key when the cap is reached; memory store only
 * @param redis the Redis settings, or empty for the in-memory store
 */
public record StoreConfig(long maxKeys, AtCapacity atCapacity, Optional<RedisConfig> redis) {

  /** The settings used when a config has no {@code store} section. */
  public static final StoreConfig DEFAULT =
      new StoreConfig(InMemoryStore.DEFAULT_MAX_KEYS, AtCapacity.EVICT_SOONEST_RESET);

  /** Checks the values. */
  public StoreConfig {
    Objects.requireNonNull(atCapacity, "atCapacity");
    Objects.requireNonNull(redis, "redis");
    if (maxKeys < 1) {
      throw new IllegalArgumentException("max_keys must be at least 1, got " + maxKeys);
    }
  }

  /** Creates the settings of an in-memory store. */
  public StoreConfig(long maxKeys, AtCapacity atCapacity) {
    this(maxKeys, atCapacity, Optional.empty());
  }

  /** Creates the settings of a Redis store. */
  public static StoreConfig redis(RedisConfig redis) {
    return new StoreConfig(InMemoryStore.DEFAULT_MAX_KEYS, AtCapacity.EVICT_SOONEST_RESET,
        Optional.of(redis));
  }

  /** The store type as written in config: {@code memory} or {@code redis}. */
  public String type() {
    return redis.isPresent() ? "redis" : "memory";
  }

  /** The {@code at_capacity} value as written in config, such as {@code evict_soonest_reset}. */
  public String atCapacityName() {
    return atCapacity.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Creates the store with these settings, reading time from {@code timeSource}: empty in
   * memory, or connected to Redis.
   *
   * @throws io.lettuce.core.RedisException if Redis cannot be reached
   */
  public RateLimitStore newStore(TimeSource timeSource) {
    if (redis.isPresent()) {
      return redis.get().newStore(timeSource);
    }
    return InMemoryStore.builder()
        .timeSource(timeSource)
        .maxKeys(maxKeys)
        .atCapacity(atCapacity)
        .build();
  }
}
