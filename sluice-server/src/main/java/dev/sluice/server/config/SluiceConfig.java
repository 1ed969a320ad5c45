package dev.sluice.server.config;

import dev.sluice.Policy;
import dev.sluice.redis.FailureMode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A loaded and checked config: the store settings, the policies by name, and the failure mode
 * of each policy that sets its own.
 *
 * @param store the store settings
 * @param policies the policies by name, in the order of the file; unmodifiable
 * @param failureModes the {@code on_failure} of each policy that has one, by policy name, in
 *     the order of the file; only with a Redis store; unmodifiable
 */
public record SluiceConfig(
    StoreConfig store, Map<String, Policy> policies, Map<String, FailureMode> failureModes) {

  /**
   * Copies the maps, keeping their order, and checks that each policy is filed under its name
   * and that failure modes belong to policies of a Redis store.
   */
  public SluiceConfig {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(policies, "policies");
    Objects.requireNonNull(failureModes, "failureModes");
    policies.forEach((name, policy) -> {
      if (!name.equals(policy.name())) {
        throw new IllegalArgumentException(
            "policy '" + policy.name() + "' is filed under the name '" + name + "'");
      }
    });
    for (String name : failureModes.keySet()) {
      if (!policies.containsKey(name)) {
        throw new IllegalArgumentException("on_failure is set for the unknown policy '" + name
            + "', expected one of " + String.join(", ", policies.keySet()));
      }
    }
    if (!failureModes.isEmpty() && store.redis().isEmpty()) {
      throw new IllegalArgumentException(
          "on_failure of a policy applies only to the redis store, but the store type is memory");
    }
    policies = Collections.unmodifiableMap(new LinkedHashMap<>(policies));
    failureModes = Collections.unmodifiableMap(new LinkedHashMap<>(failureModes));
  }

  /** Creates a config in which every policy fails by the store's failure mode. */
  public SluiceConfig(StoreConfig store, Map<String, Policy> policies) {
    this(store, policies, Map.of());
  }
}
