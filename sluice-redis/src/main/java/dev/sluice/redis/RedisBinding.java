package dev.sluice.redis;

import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.store.PolicyBinding;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A policy bound to a {@link RedisStore}. Each decision is one script call, or is made by the
 * store's {@link FailureMode} when Redis fails, times out, or the circuit breaker is open.
 */
final class RedisBinding implements PolicyBinding {

  private static final int HEADER_ARGS = 4;
  private static final int LIMIT_ARGS = 5;

  private final Policy policy;
  private final DecisionScript script;
  private final String tagStart;
  private final TimeSource clientClock;
  private final String expire;
  private final String[] limitSuffixes;
  private final String[] limitArgs;
  private final FailureHandling failures;
  private final PolicyBinding local;

  /**
   * Creates a binding.
   *
   * @param clientClock the clock to send with each request, or null to use the server's TIME
   * @param local the binding that decides in {@link FailureMode#LOCAL}, or null in other modes
   */
  RedisBinding(
      Policy policy, DecisionScript script, String keyPrefix, TimeSource clientClock,
      boolean expireKeys, FailureHandling failures, PolicyBinding local) {
    this.policy = policy;
    this.failures = failures;
    this.local = local;
    this.script = script;
    this.tagStart = RedisKeys.tagStart(keyPrefix, policy.name());
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

  /**
   * Decides on Redis and waits for the reply. Never throws for a Redis failure: the failure
   * mode decides instead, as {@link #tryAcquireAsync} does.
   *
   * <p>NOTE: called on a Lettuce I/O thread, such as inside a dependent stage of
   * {@link #tryAcquireAsync}, it blocks the thread that would read the reply, so it always
   * times out and the failure mode decides. Use {@link #tryAcquireAsync} there.
   */
  @Override
  public Decision tryAcquire(String key, long cost, long maxDelayNanos) {
    return tryAcquireAsync(key, cost, maxDelayNanos).toCompletableFuture().join();
  }

  /**
   * Decides on Redis without blocking. The stage never completes exceptionally for a Redis
   * failure or a timeout: it completes with a decision of the failure mode. Dependent stages
   * without an executor run on a Lettuce I/O thread, so blocking work belongs in an
   * {@code ...Async} stage.
   */
  @Override
  public CompletionStage<Decision> tryAcquireAsync(String key, long cost, long maxDelayNanos) {
    PolicyBinding.requireValidRequest(key, cost, maxDelayNanos);
    Breaker.Attempt attempt = failures.breaker().tryAttempt();
    if (attempt == Breaker.Attempt.SKIP) {
      return CompletableFuture.completedFuture(fallback(key, cost, maxDelayNanos));
    }
    CompletableFuture<List<Object>> reply;
    try {
      reply = script.run(keysOf(key), argsOf(cost, maxDelayNanos), failures.commandTimeout());
    } catch (RuntimeException rejected) {
      return CompletableFuture.completedFuture(fail(rejected, key, cost, maxDelayNanos));
    }
    return reply.handle((values, error) -> error == null
        ? toDecisionOrFallback(values, attempt, key, cost, maxDelayNanos)
        : failCall(error, attempt, key, cost, maxDelayNanos));
  }

  private String[] argsOf(long cost, long maxDelayNanos) {
    String[] args = new String[HEADER_ARGS + limitArgs.length];
    args[0] = clientClock == null ? "" : Long.toString(clientClock.nanos());
    args[1] = Long.toString(cost);
    args[2] = Long.toString(maxDelayNanos);
    args[3] = expire;
    System.arraycopy(limitArgs, 0, args, HEADER_ARGS, limitArgs.length);
    return args;
  }

  /** Maps the reply; a reply that cannot be mapped counts as a failure of the store. */
  private Decision toDecisionOrFallback(
      List<Object> reply, Breaker.Attempt attempt, String key, long cost, long maxDelayNanos) {
    Decision decision;
    try {
      decision = toDecision(reply);
    } catch (RuntimeException malformed) {
      return fail(malformed, key, cost, maxDelayNanos);
    }
    failures.breaker().recordSuccess(attempt);
    return decision;
  }

  /**
   * Decides by the failure mode after a failed call. An error about the key's stored data
   * counts as a reply of a working Redis for the breaker, so that one damaged key does not
   * make every key fall back.
   */
  private Decision failCall(
      Throwable error, Breaker.Attempt attempt, String key, long cost, long maxDelayNanos) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
    if (Breaker.isKeyError(cause)) {
      failures.breaker().recordKeyError(attempt, String.join(" ", keysOf(key)), cause);
      // Not counted among the decisions of an outage: Redis works, and a later recovery
      // line would report this key's decisions as the outage's.
      return byFailureMode(key, cost, maxDelayNanos);
    }
    return fail(error, key, cost, maxDelayNanos);
  }

  private Decision fail(Throwable error, String key, long cost, long maxDelayNanos) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
    failures.breaker().recordFailure(cause);
    return fallback(key, cost, maxDelayNanos);
  }

  /** Decides by the failure mode and counts the decision for the breaker's recovery line. */
  private Decision fallback(String key, long cost, long maxDelayNanos) {
    failures.breaker().countFallback();
    return byFailureMode(key, cost, maxDelayNanos);
  }

  /** Decides by the failure mode; see {@link FailureMode}. */
  private Decision byFailureMode(String key, long cost, long maxDelayNanos) {
    Limit first = policy.limits().get(0);
    return switch (failures.mode()) {
      case ALLOW -> Decision.allow(first.name(), first.limit(), 0, 0, 0)
          .withSource(Decision.Source.FAILED_OPEN);
      case DENY -> Decision.deny(first.name(), first.limit(), 0, 0,
              failures.probeInterval().toNanos())
          .withSource(Decision.Source.FAILED_CLOSED);
      case LOCAL -> local.tryAcquire(key, cost, maxDelayNanos)
          .withSource(Decision.Source.LOCAL_FALLBACK);
    };
  }

  /** Returns the Redis key of every limit for a user key, in the policy's order. */
  String[] keysOf(String key) {
    String tag = RedisKeys.tag(tagStart, key);
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
