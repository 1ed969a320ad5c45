package dev.sluice;

import dev.sluice.internal.Printable;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named set of limits applied together to every key: a request is admitted only when every
 * limit admits it, and when any limit denies it, none of them is charged.
 *
 * <pre>{@code
 * Policy api = Policy.of("api",
 *     Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withName("per-second"),
 *     Limit.of(Algorithm.FIXED_WINDOW, 1_000, Duration.ofHours(1)).withName("per-hour"));
 * }</pre>
 *
 * @param name identifies the policy, e.g. in {@code POST /v1/check}
 * @param limits one or more limits with distinct names
 */
public record Policy(String name, List<Limit> limits) {

  /** Checks that the name is usable and the limits are present and distinctly named. */
  public Policy {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(limits, "limits");
    if (name.isBlank()) {
      throw new IllegalArgumentException("policy name must not be blank");
    }
    if (limits.isEmpty()) {
      throw new IllegalArgumentException(
          "policy '" + Printable.escape(name) + "' must have at least one limit");
    }
    requireNoNullLimit(limits);
    limits = List.copyOf(limits);
    Set<String> names = new HashSet<>();
    for (Limit limit : limits) {
      if (!names.add(limit.name())) {
        throw new IllegalArgumentException(
            "policy '" + Printable.escape(name) + "' has two limits named '" + limit.name()
                + "'; give each limit its own name");
      }
    }
  }

  /** Creates a policy of the given limits. */
  public static Policy of(String name, Limit... limits) {
    return new Policy(name, Arrays.asList(Objects.requireNonNull(limits, "limits")));
  }

  private static void requireNoNullLimit(List<Limit> limits) {
    for (int i = 0; i < limits.size(); i++) {
      if (limits.get(i) == null) {
        throw new NullPointerException(
            "limits must not contain null, got null at index " + i);
      }
    }
  }
}
