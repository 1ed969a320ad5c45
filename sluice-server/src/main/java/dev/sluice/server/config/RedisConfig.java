package dev.sluice.server.config;

import dev.sluice.TimeSource;
import dev.sluice.redis.FailureMode;
import dev.sluice.redis.RedisStore;
import dev.sluice.redis.TimeMode;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings of a {@code store} of type {@code redis}; see {@link RedisStore.Builder} for
 * what each does.
 *
 * @param uri the server, such as {@code redis://:password@host:6379/0}
 * @param keyPrefix the start of every key
 * @param commandTimeout the longest wait for the reply to a decision
 * @param onFailure how decisions are made while Redis fails
 * @param localShare the expected number of instances, for {@link FailureMode#LOCAL}
 * @param timeMode which clock decides
 */
public record RedisConfig(
    String uri, String keyPrefix, Duration commandTimeout, FailureMode onFailure,
    int localShare, TimeMode timeMode) {

  /** The settings of {@code --redis URI} without a redis store in the config. */
  public static RedisConfig defaults(String uri) {
    return new RedisConfig(uri, "sluice", RedisStore.DEFAULT_COMMAND_TIMEOUT,
        FailureMode.ALLOW, 1, TimeMode.SERVER);
  }

  /** Checks that no value is missing. */
  public RedisConfig {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    Objects.requireNonNull(onFailure, "onFailure");
    Objects.requireNonNull(timeMode, "timeMode");
  }

  /** Returns these settings with another server. */
  public RedisConfig withUri(String otherUri) {
    return new RedisConfig(otherUri, keyPrefix, commandTimeout, onFailure, localShare, timeMode);
  }

  /**
   * Connects a store with these settings.
   *
   * @throws io.lettuce.core.RedisException if Redis cannot be reached
   */
  public RedisStore newStore(TimeSource timeSource) {
    return RedisStore.builder()
        .uri(uri)
        .keyPrefix(keyPrefix)
        .commandTimeout(commandTimeout)
        .onFailure(onFailure)
        .localShare(localShare)
        .timeMode(timeMode)
        .timeSource(timeSource)
        .build();
  }
}
