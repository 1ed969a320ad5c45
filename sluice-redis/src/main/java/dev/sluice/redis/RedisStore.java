package dev.sluice.redis;

import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.store.PolicyBinding;
import dev.sluice.store.RateLimitStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.util.Objects;

/**
 * Keeps the state of every key in Redis, so that all instances of a service share their
 * limits.
 *
 * <pre>{@code
 * try (RedisStore store = RedisStore.builder().uri("redis://127.0.0.1:6379").build()) {
 *   RateLimiter limiter = RateLimiter.builder(policy).store(store).build();
 *   Decision decision = limiter.tryAcquire("user-42", 1);
 * }
 * }</pre>
 *
 * <p><b>Decisions.</b> Each decision is one {@code EVALSHA} of a Lua script over the keys of
 * all limits of the policy, so a multi-limit policy is decided atomically, all or nothing. The
 * script computes with arbitrary-precision integers and ports the in-memory meters line by
 * line, so that on the same clock its decisions equal those of the in-memory store. All
 * requests share one multiplexed connection.
 *
 * <p><b>Keys.</b> Each limit of a policy has one hash per user key, named
 * {@code prefix:{policy:userKey}:limitName:algorithm} with policy, user key and limit name
 * percent-encoded. All keys of one decision share that Redis Cluster hash tag, and no user key
 * can move it. Every key is written with an expiry equal to the time until it is back to its
 * initial state, so an idle key costs no memory. Binding a policy again keeps the state of
 * every limit whose name and algorithm are unchanged, even when other limits were added or
 * removed.
 *
 * <p><b>Limitations.</b> There is no timeout policy, circuit breaker or fallback beyond
 * Lettuce's own defaults, so a Redis failure reaches the caller as a Lettuce exception from
 * {@code tryAcquire}. Redis Sentinel and Cluster are untested. A {@code sliding_log} decision
 * costs time in proportion to the live entries of its log, during which Redis serves no other
 * client, so large sliding logs are slow.
 */
public final class RedisStore implements RateLimitStore, AutoCloseable {

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final DecisionScript script;
  private final String keyPrefix;
  private final TimeMode timeMode;
  private final TimeSource timeSource;
  private final boolean expireKeys;

  private RedisStore(Builder builder) {
    this.keyPrefix = builder.keyPrefix;
    this.timeMode = builder.timeMode;
    this.timeSource = builder.timeSource;
    this.expireKeys = builder.expireKeys;
    this.client = RedisClient.create(builder.uri);
    try {
      this.connection = client.connect(StringCodec.UTF8);
      this.script = new DecisionScript(connection.sync());
    } catch (RuntimeException e) {
      client.shutdown();
      throw e;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public PolicyBinding bind(Policy policy) {
    Objects.requireNonNull(policy, "policy");
    return new RedisBinding(policy, script, keyPrefix, clock(), expireKeys);
  }

  /** Closes the connection and releases the client's threads. */
  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }

  /** Returns the time source in {@link TimeMode#CLIENT}, or null to read the server's time. */
  private TimeSource clock() {
    return timeMode == TimeMode.CLIENT ? timeSource : null;
  }

  /** Options of a {@link RedisStore}. */
  public static final class Builder {
    private RedisURI uri = RedisURI.create("redis://127.0.0.1:6379");
    private String keyPrefix = "sluice";
    private TimeMode timeMode = TimeMode.SERVER;
    private TimeSource timeSource = TimeSource.system();
    private boolean expireKeys = true;

    private Builder() {}

    /** Sets the server; by default {@code redis://127.0.0.1:6379}. */
    public Builder uri(RedisURI uri) {
      this.uri = Objects.requireNonNull(uri, "uri");
      return this;
    }

    /**
     * Sets the server as a Redis URI such as {@code redis://:password@host:6379/0}.
     *
     * @throws IllegalArgumentException if the URI is invalid
     */
    public Builder uri(String uri) {
      return uri(RedisURI.create(Objects.requireNonNull(uri, "uri")));
    }

    /**
     * Sets the text every key starts with; by default {@code sluice}. It may not contain
     * braces, which would move the Redis Cluster hash tag, nor whitespace.
     *
     * @throws IllegalArgumentException if the prefix is empty or contains such a character
     */
    public Builder keyPrefix(String keyPrefix) {
      Objects.requireNonNull(keyPrefix, "keyPrefix");
      if (keyPrefix.isEmpty() || !keyPrefix.chars().allMatch(c -> c > 0x20 && c < 0x7f
          && c != '{' && c != '}')) {
        throw new IllegalArgumentException("keyPrefix must be printable ASCII without braces or"
            + " spaces, got '" + keyPrefix + "'");
      }
      this.keyPrefix = keyPrefix;
      return this;
    }

    /** Sets which clock decides; by default {@link TimeMode#SERVER}. */
    public Builder timeMode(TimeMode timeMode) {
      this.timeMode = Objects.requireNonNull(timeMode, "timeMode");
      return this;
    }

    /**
     * Sets the time source read in {@link TimeMode#CLIENT}; by default
     * {@link TimeSource#system()}. Ignored in {@link TimeMode#SERVER}.
     */
    public Builder timeSource(TimeSource timeSource) {
      this.timeSource = Objects.requireNonNull(timeSource, "timeSource");
      return this;
    }

    /**
     * Writes keys without an expiry. Only for tests on a fake clock: Redis expires keys on its
     * own clock, which would forget state that the fake clock still considers live.
     */
    Builder withoutExpiry() {
      this.expireKeys = false;
      return this;
    }

    /**
     * Connects and loads the script.
     *
     * @throws io.lettuce.core.RedisConnectionException if the server cannot be reached
     */
    public RedisStore build() {
      return new RedisStore(this);
    }
  }
}
