package dev.sluice.internal;

import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import java.util.List;

/**
 * The meters of all limits of a policy, applied together to one key.
 *
 * <p>A request is admitted only when every limit admits it; when any limit denies it, no limit
 * is charged, because the store charges every limit under one lock, and only after all have
 * admitted. The state of a one-limit policy is that limit's state; with several limits it is a
 * {@link Combined} state.
 */
public final class PolicyMeter {

  /** The state of a policy with several limits: one state per limit, in the policy's order. */
  static final class Combined extends KeyState {
    final KeyState[] states;

    Combined(int limits) {
      this.states = new KeyState[limits];
    }
  }

  private final Policy policy;
  private final Meter[] meters;

  public PolicyMeter(Policy policy) {
    this.policy = policy;
    List<Limit> limits = policy.limits();
    this.meters = new Meter[limits.size()];
    for (int i = 0; i < meters.length; i++) {
      meters[i] = Meter.of(limits.get(i));
    }
  }

  public Policy policy() {
    return policy;
  }

  /**
   * Returns whether {@link #check} and {@link #admits} may read a state while another thread
   * changes it, without throwing or looping; see {@link Meter}. Only one-limit policies may.
   */
  public boolean readsWhileWritten() {
    return meters.length == 1 && meters[0].readsWhileWritten();
  }

  /** Decides a request of {@code cost} units without changing anything. */
  public Decision check(KeyState state, long now, long cost, long maxDelayNanos) {
    if (meters.length == 1) {
      return meters[0].check(state, now, cost, maxDelayNanos);
    }
    KeyState[] states = limitStates(state);
    Decision[] decisions = new Decision[meters.length];
    boolean allowed = true;
    for (int i = 0; i < meters.length; i++) {
      decisions[i] = meters[i].check(states == null ? null : states[i], now, cost, maxDelayNanos);
      allowed &= decisions[i].allowed();
    }
    if (!allowed) {
      reportUncharged(decisions, states, now);
    }
    return combine(decisions);
  }

  /**
   * Replaces each admission in a denied request's decisions by the limit's state as it is,
   * because an admission reports remaining and reset after as if the cost had been charged.
   */
  private void reportUncharged(Decision[] decisions, KeyState[] states, long now) {
    for (int i = 0; i < meters.length; i++) {
      if (decisions[i].allowed()) {
        decisions[i] = meters[i].check(states == null ? null : states[i], now, 0, Long.MAX_VALUE);
      }
    }
  }

  /** Returns whether every limit admits the request, without building a decision. */
  public boolean admits(KeyState state, long now, long cost, long maxDelayNanos) {
    if (meters.length == 1) {
      return meters[0].admits(state, now, cost, maxDelayNanos);
    }
    KeyState[] states = limitStates(state);
    for (int i = 0; i < meters.length; i++) {
      if (!meters[i].admits(states == null ? null : states[i], now, cost, maxDelayNanos)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Charges {@code cost ≥ 1} units to every limit's state, in place, and returns the state; for
   * {@code null}, the initial state, returns a new state.
   */
  public KeyState admit(KeyState state, long now, long cost) {
    if (meters.length == 1) {
      return meters[0].admit(state, now, cost);
    }
    Combined combined = state == null ? new Combined(meters.length) : (Combined) state;
    for (int i = 0; i < meters.length; i++) {
      combined.states[i] = meters[i].admit(combined.states[i], now, cost);
    }
    return combined;
  }

  /**
   * Returns whether any limit's state was written under other numbers, before a rebinding, and
   * needs {@link #convert} before a decision.
   */
  public boolean needsConversion(KeyState state) {
    if (meters.length == 1) {
      return meters[0].needsConversion(state);
    }
    KeyState[] states = limitStates(state);
    for (int i = 0; i < meters.length; i++) {
      if (states != null && meters[i].needsConversion(states[i])) {
        return true;
      }
    }
    return false;
  }

  /**
   * Converts, in place and under the state's lock, each limit's state written under other
   * numbers to the current ones, as the first decision under them reads it.
   */
  public void convert(KeyState state, long now) {
    if (meters.length == 1) {
      meters[0].convert(state, now);
      return;
    }
    KeyState[] states = limitStates(state);
    for (int i = 0; i < meters.length; i++) {
      if (meters[i].needsConversion(states[i])) {
        meters[i].convert(states[i], now);
      }
    }
  }

  /** Returns the earliest time at which every limit's state is back to its initial state. */
  public long resetAt(KeyState state) {
    if (meters.length == 1) {
      return meters[0].resetAt(state);
    }
    long resetAt = Long.MIN_VALUE;
    for (int i = 0; i < meters.length; i++) {
      KeyState limitState = ((Combined) state).states[i];
      if (limitState != null) {
        resetAt = Math.max(resetAt, meters[i].resetAt(limitState));
      }
    }
    return resetAt;
  }

  /**
   * Returns how much of its limits the key of {@code state} has taken at {@code now}: the
   * limit with the largest share of its capacity in use, and when the key resets.
   */
  public Usage usage(KeyState state, long now) {
    if (meters.length == 1) {
      return new Usage(used(meters[0], state, now), meters[0].burst, meters[0].resetAt(state));
    }
    KeyState[] states = limitStates(state);
    long used = 0;
    long capacity = 1;
    for (int i = 0; i < meters.length; i++) {
      long limitUsed = used(meters[i], states[i], now);
      // A larger share: limitUsed / burst > used / capacity, compared without rounding.
      if (Exact.compareProducts(limitUsed, capacity, used, meters[i].burst) > 0) {
        used = limitUsed;
        capacity = meters[i].burst;
      }
    }
    return new Usage(used, capacity, resetAt(state));
  }

  /** Returns the units of one limit in use at {@code now}: its burst less what remains. */
  private static long used(Meter meter, KeyState state, long now) {
    long remaining = meter.check(state, now, 0, Long.MAX_VALUE).remaining();
    return Math.max(0, meter.burst - remaining);
  }

  /** Returns the per-limit states of a multi-limit policy, or null for the initial state. */
  private static KeyState[] limitStates(KeyState state) {
    return state == null ? null : ((Combined) state).states;
  }

  /**
   * Combines per-limit decisions: admitted when all admit, reported by the limit with the
   * fewest units remaining; otherwise denied, reported by the limit that needs the longest
   * wait. Waiting for every limit to admit means waiting for the slowest, because no limit
   * that admits a request stops admitting it as time passes.
   */
  static Decision combine(Decision[] decisions) {
    Decision binding = null;
    long remaining = Long.MAX_VALUE;
    long resetAfter = 0;
    long delay = 0;
    boolean allowed = true;
    for (Decision decision : decisions) {
      remaining = Math.min(remaining, decision.remaining());
      resetAfter = Math.max(resetAfter, decision.resetAfterNanos());
      delay = Math.max(delay, decision.delayNanos());
      allowed &= decision.allowed();
    }
    for (Decision decision : decisions) {
      if (binding == null || isMoreBinding(decision, binding, allowed)) {
        binding = decision;
      }
    }
    if (allowed) {
      return Decision.allow(binding.limitName(), binding.limit(), remaining, resetAfter, delay);
    }
    return Decision.deny(
        binding.limitName(), binding.limit(), remaining, resetAfter, binding.retryAfterNanos());
  }

  private static boolean isMoreBinding(Decision candidate, Decision current, boolean allowed) {
    if (allowed) {
      return candidate.remaining() < current.remaining();
    }
    if (candidate.allowed() != current.allowed()) {
      return !candidate.allowed();
    }
    if (current.costExceedsLimit()) {
      return false;
    }
    return candidate.costExceedsLimit()
        || candidate.retryAfterNanos() > current.retryAfterNanos();
  }
}
