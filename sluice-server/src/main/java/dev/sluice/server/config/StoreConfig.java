package dev.sluice.server.config;

import dev.sluice.TimeSource;
import dev.sluice.store.AtCapacity;
import dev.sluice.store.InMemoryStore;
import java.util.Locale;
import java.util.Objects;

/**
 * The {@code store} section of a config: where per-key state lives. Only the in-memory store
 * exists, so the settings are those of {@link InMemoryStore}.
 *
 * @param maxKeys the cap on tracked keys over all policies, at least 1
 * @param atCapacity what happens to a new key when the cap is reached
 */
public record StoreConfig(long maxKeys, AtCapacity atCapacity) {

  /** The settings used when a config has no {@code store} section. */
  public static final StoreConfig DEFAULT =
      new StoreConfig(InMemoryStore.DEFAULT_MAX_KEYS, AtCapacity.EVICT_SOONEST_RESET);

  /** Checks the values. */
  public StoreConfig {
    Objects.requireNonNull(atCapacity, "atCapacity");
    if (maxKeys < 1) {
      throw new IllegalArgumentException("max_keys must be at least 1, got " + maxKeys);
    }
  }

  /** The store type as written in config: always {@code memory}. */
  public String type() {
    return "memory";
  }

  /** The {@code at_capacity} value as written in config, such as {@code evict_soonest_reset}. */
  public String atCapacityName() {
    return atCapacity.name().toLowerCase(Locale.ROOT);
  }

  /** Creates an empty store with these settings, reading time from {@code timeSource}. */
  public InMemoryStore newStore(TimeSource timeSource) {
    return InMemoryStore.builder()
        .timeSource(timeSource)
        .maxKeys(maxKeys)
        .atCapacity(atCapacity)
        .build();
  }
}
