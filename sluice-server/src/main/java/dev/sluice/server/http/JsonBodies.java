package dev.sluice.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.internal.Durations;
import dev.sluice.redis.FailureMode;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/** Builds the JSON response bodies of the API. */
final class JsonBodies {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final long NANOS_PER_MILLI = 1_000_000L;

  private JsonBodies() {}

  /**
   * Renders a decision. Durations are in milliseconds rounded up, so that waiting the reported
   * time is never too short; {@code retry_after_ms} is -1 with
   * {@code "reason": "cost_exceeds_limit"} when no wait can help. A decision made because the
   * store failed has {@code "fallback"}: {@code failed_open}, {@code failed_closed} or
   * {@code local_fallback}; a normal decision has no such field.
   */
  static String decision(String policy, Decision decision) {
    ObjectNode body = MAPPER.createObjectNode()
        .put("allowed", decision.allowed())
        .put("policy", policy)
        .put("limit_name", decision.limitName())
        .put("limit", decision.limit())
        .put("remaining", decision.remaining())
        .put("reset_after_ms", ceilMillis(decision.resetAfterNanos()))
        .put("retry_after_ms", decision.costExceedsLimit()
            ? Decision.NEVER
            : ceilMillis(decision.retryAfterNanos()))
        .put("delay_ms", ceilMillis(decision.delayNanos()));
    if (decision.costExceedsLimit()) {
      body.put("reason", "cost_exceeds_limit");
    }
    if (decision.source() != Decision.Source.STORE) {
      body.put("fallback", decision.source().name().toLowerCase(Locale.ROOT));
    }
    return write(body);
  }

  /**
   * Lists the policies with every field of each limit, and {@code on_failure} for a policy
   * that has its own failure mode.
   */
  static String policies(Collection<Policy> policies, Map<String, FailureMode> failureModes) {
    ObjectNode body = MAPPER.createObjectNode();
    ArrayNode list = body.putArray("policies");
    for (Policy policy : policies) {
      ObjectNode entry = list.addObject().put("name", policy.name());
      FailureMode failureMode = failureModes.get(policy.name());
      if (failureMode != null) {
        entry.put("on_failure", failureMode.name().toLowerCase(Locale.ROOT));
      }
      ArrayNode limits = entry.putArray("limits");
      policy.limits().forEach(limit -> describe(limit, limits.addObject()));
    }
    return write(body);
  }

  static String error(String message, String field) {
    ObjectNode body = MAPPER.createObjectNode().put("error", message);
    if (field != null) {
      body.put("field", field);
    }
    return write(body);
  }

  static String health() {
    return write(MAPPER.createObjectNode().put("status", "ok"));
  }

  static long ceilMillis(long nanos) {
    return nanos / NANOS_PER_MILLI + (nanos % NANOS_PER_MILLI == 0 ? 0 : 1);
  }

  private static void describe(Limit limit, ObjectNode node) {
    node.put("name", limit.name())
        .put("algorithm", limit.algorithm().configName())
        .put("limit", limit.limit())
        .put("period", Durations.format(limit.period()))
        .put("period_ms", limit.period().toMillis())
        .put("burst", limit.burst())
        .put("mode", limit.mode().configName());
  }

  private static String write(ObjectNode body) {
    try {
      return MAPPER.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
