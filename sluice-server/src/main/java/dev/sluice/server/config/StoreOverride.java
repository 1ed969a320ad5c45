package dev.sluice.server.config;

import java.util.Optional;

/**
 * Store settings given outside the config file, such as by {@code --redis} or
 * {@code --redis-cluster} of {@code sluice serve}, which replace those of the file. A server
 * applies the same override at start-up and at each reload, so that every load checks the
 * file against the store that the server uses.
 */
@FunctionalInterface
public interface StoreOverride {

  /** The override that keeps the store settings of the file. */
  StoreOverride NONE = fromFile -> fromFile;

  /** Returns the store settings that apply instead of {@code fromFile}. */
  StoreConfig apply(StoreConfig fromFile);

  /**
   * Returns the default Redis settings with the server or cluster that {@link #apply} puts in
   * place of the file's, or empty when the file's own {@code uri} or {@code cluster} is used.
   * When present, a {@code redis} store in the file may omit both {@code uri} and
   * {@code cluster}, and its other fields still apply.
   */
  default Optional<RedisConfig> redisServers() {
    return Optional.empty();
  }
}
