package dev.sluice.redis;

import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.store.PolicyBinding;
import java.util.List;
import java.util.Objects;

/** A policy bound to a {@link RedisStore}. */
final class RedisBinding implements PolicyBinding {

  private static final int HEADER_ARGS = 4;
  private static final int LIMIT_ARGS = 5;

  private final Policy policy;
  private final DecisionScript script;
  private final String keyPrefix;
  private final TimeSource clientClock;
  private final String expire;
  private final String[] limitSuffixes;
  private final String[] limitArgs;

  /**
   * Creates a binding.
   *
   * @param clientClock the clock to send with each request, or null to use the server's TIME
   */
  RedisBinding(
      Policy policy, DecisionScript script, String keyPrefix, TimeSource clientClock,
      boolean expireKeys) {
    this.policy = policy;
    this.script = script;
    this.keyPrefix = keyPrefix;
    this.clientClock = clientClock;
    this.expire = expireKeys ? "1" : "0";
    List<Limit> limits = policy.limits();
    this.limitSuffixes = new String[limits.size()];
    this.limitArgs = new String[limits.size() * LIMIT_ARGS];
    for (int i = 0; i < limits.size(); i++) {
      Limit limit = limits.get(i);
      limitSuffixes[i] = RedisKeys.limitSuffix(limit.name(), limit.algorithm().configName());
      describe(limit, i * LIMIT_ARGS);
    }
  }

  private void describe(Limit limit, int offset) {
    limitArgs[offset] = limit.algorithm().configName();
    limitArgs[offset + 1] = Long.toString(limit.limit());
    limitArgs[offset + 2] = Long.toString(limit.periodNanos());
    limitArgs[offset + 3] = Long.toString(limit.burst());
    limitArgs[offset + 4] = limit.mode() == Mode.SHAPE ? "1" : "0";
  }

  @Override
  public Policy policy() {
    return policy;
  }

  @Override
  public Decision tryAcquire(String key, long cost, long maxDelayNanos) {
    Objects.requireNonNull(key, "key");
    if (cost < 0) {
      throw new IllegalArgumentException("cost must be at least 0, got " + cost);
    }
    if (maxDelayNanos < 0) {
      throw new IllegalArgumentException("maxDelayNanos must be at least 0, got " + maxDelayNanos);
    }
    String[] keys = keysOf(key);
    String[] args = new String[HEADER_ARGS + limitArgs.length];
    args[0] = clientClock == null ? "" : Long.toString(clientClock.nanos());
    args[1] = Long.toString(cost);
    args[2] = Long.toString(maxDelayNanos);
    args[3] = expire;
    System.arraycopy(limitArgs, 0, args, HEADER_ARGS, limitArgs.length);
    return toDecision(script.run(keys, args));
  }

  /** Returns the Redis key of every limit for a user key, in the policy's order. */
  String[] keysOf(String key) {
    String tag = RedisKeys.tag(keyPrefix, policy.name(), key);
    String[] keys = new String[limitSuffixes.length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = tag + limitSuffixes[i];
    }
    return keys;
  }

  /** Maps the script's reply: allowed, remaining, reset after, retry after, delay, index. */
  private Decision toDecision(List<Object> reply) {
    if (reply == null || reply.size() != 6) {
      throw new IllegalStateException(
          "decision script returned " + reply + ", expected 6 values");
    }
    Limit decider = policy.limits().get(Math.toIntExact(number(reply, 5)));
    long remaining = number(reply, 1);
    long resetAfter = number(reply, 2);
    if (number(reply, 0) == 1) {
      return Decision.allow(decider.name(), decider.limit(), remaining, resetAfter,
          number(reply, 4));
    }
    return Decision.deny(decider.name(), decider.limit(), remaining, resetAfter,
        number(reply, 3));
  }

  private static long number(List<Object> reply, int index) {
    Object value = reply.get(index);
    return value instanceof Long number ? number : Long.parseLong(value.toString());
  }
}
