package dev.sluice.server.config;

import dev.sluice.Policy;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A loaded and checked config: the store settings and the policies by name.
 *
 * @param store the store settings
 * @param policies the policies by name, in the order of the file; unmodifiable
 */
public record SluiceConfig(StoreConfig store, Map<String, Policy> policies) {

  /** Copies the policies, keeping their order, and checks that each is filed under its name. */
  public SluiceConfig {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(policies, "policies");
    policies.forEach((name, policy) -> {
      if (!name.equals(policy.name())) {
        throw new IllegalArgumentException(
            "policy '" + policy.name() + "' is filed under the name '" + name + "'");
      }
    });
    policies = Collections.unmodifiableMap(new LinkedHashMap<>(policies));
  }
}
