package dev.sluice.store;

/**
 * What an {@link InMemoryStore} does when a new key arrives while it already tracks its maximum
 * number of keys and none of them has expired.
 */
public enum AtCapacity {
  /**
   * Forget one tracked key to make room: of a small sample of keys, the one with the smallest
   * share of its limits in use, so that it gives back the fewest units. Among equal shares, it
   * is the one back to its initial state soonest. For the bucket algorithms and GCRA the two
   * orders agree; in a window, where every key used in it resets at its end, the share decides,
   * so a key at its limit is not forgotten while a sampled key has less in use. The sample
   * comes from the policy that needs room first, and from other policies only when it has no
   * key to give. The forgotten key starts afresh when it comes back, so each time it is
   * forgotten it can be admitted up to one more burst than its limit allows, and a client that
   * fills the store with new keys can have one key forgotten again and again. The default: it
   * keeps serving new clients during a flood of one-off keys.
   */
  EVICT_SOONEST_RESET,

  /**
   * Deny requests for new keys until room frees up; tracked keys are decided as usual. Such a
   * denial names the limit {@code max_keys} and carries a retry after of one second. Never
   * admits more than the limits allow, at the price of denying new clients during a flood.
   */
  DENY_NEW_KEYS
}
