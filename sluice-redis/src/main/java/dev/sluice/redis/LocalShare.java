package dev.sluice.redis;

import dev.sluice.Limit;
import dev.sluice.Policy;
import java.util.List;

/**
 * Divides a policy among the instances that share a Redis store, for {@link FailureMode#LOCAL}:
 * each limit and burst becomes {@code ceil(value / instances)}, at least 1, with the period,
 * mode and name unchanged. For example a token bucket of 100 per second with burst 50, shared by
 * 3 instances, becomes 34 per second with burst 17 on each.
 */
final class LocalShare {

  private LocalShare() {}

  /**
   * Returns the share of one instance.
   *
   * @throws IllegalArgumentException if a divided limit breaks a rule of {@link Limit}, which
   *     can happen only when rounding up raises the burst's recovery time past its bound. Its
   *     cause is the exception of {@link Limit}.
   */
  static Policy of(Policy policy, int instances) {
    List<Limit> limits = policy.limits();
    Limit[] shares = new Limit[limits.size()];
    for (int i = 0; i < shares.length; i++) {
      try {
        shares[i] = share(limits.get(i), instances);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("limit '" + limits.get(i).name() + "' of policy '"
            + policy.name() + "' cannot be divided among " + instances + " instances: "
            + e.getMessage() + ", or lower the number of instances", e);
      }
    }
    return Policy.of(policy.name(), shares);
  }

  private static Limit share(Limit limit, int instances) {
    return new Limit(limit.name(), limit.algorithm(), divideUp(limit.limit(), instances),
        limit.period(), divideUp(limit.burst(), instances), limit.mode());
  }

  static long divideUp(long value, int instances) {
    return Math.max(1, value / instances + (value % instances == 0 ? 0 : 1));
  }
}
