package dev.sluice.server.http;

import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import java.util.stream.Collectors;

/**
 * Renders the {@code RateLimit-Policy} and {@code RateLimit} fields of the IETF draft
 * "RateLimit header fields for HTTP" (draft-ietf-httpapi-ratelimit-headers, revisions 08 to
 * 11), and {@code Retry-After}. Both fields are structured-field lists (RFC 9651) of quoted
 * names with integer parameters:
 *
 * <pre>
 * RateLimit-Policy: "per-second";q=10;w=1, "per-hour";q=1000;w=3600
 * RateLimit: "per-second";r=0;t=1
 * </pre>
 *
 * <p>{@code q} is the limit and {@code w} the period in seconds, left out when the period is
 * not a whole number of seconds. {@code r} is the remaining units and {@code t} the reset after
 * in seconds, rounded up. Structured-field integers have at most 15 digits, so larger limits
 * and remaining counts are written as 999999999999999.
 */
final class RateLimitHeaders {

  /** The largest structured-field integer (RFC 9651): fifteen nines. */
  static final long MAX_SF_INTEGER = 999_999_999_999_999L;

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private RateLimitHeaders() {}

  /** Renders {@code RateLimit-Policy}: one item per limit of the policy, in policy order. */
  static String policy(Policy policy) {
    return policy.limits().stream()
        .map(RateLimitHeaders::policyItem)
        .collect(Collectors.joining(", "));
  }

  /**
   * Renders {@code RateLimit-Policy} for a decision under {@code policy}: every limit of the
   * policy, or for a decision of the local fallback only the limit that decided, with {@code q}
   * the decision's limit. The local fallback decides on each limit divided among the
   * instances, so the policy's own limits would overstate what this instance admits.
   */
  static String policy(Policy policy, Decision decision, String policyHeader) {
    if (decision.source() != Decision.Source.LOCAL_FALLBACK) {
      return policyHeader;
    }
    Limit decided = policy.limits().stream()
        .filter(limit -> limit.name().equals(decision.limitName()))
        .findFirst()
        .orElse(policy.limits().get(0));
    return policyItem(decision.limitName(), decision.limit(), decided.periodNanos());
  }

  /**
   * Renders {@code RateLimit} for a decision under {@code policy}. A denial of a new key at the
   * in-memory store's key cap names the limit {@code max_keys}, which no item of
   * {@code RateLimit-Policy} has. Its item therefore names the policy's limit whose limit the
   * decision reports, with {@code r=0} and {@code t} the retry after (one second), so that it
   * refers to a listed limit and a client that waits {@code t} seconds retries in time.
   */
  static String rateLimit(Policy policy, Decision decision) {
    if (isKeyCapDenial(decision)) {
      return rateLimit(keyCapItemName(policy, decision), 0, decision.retryAfterNanos());
    }
    return rateLimit(decision.limitName(), decision.remaining(), decision.resetAfterNanos());
  }

  /**
   * Returns whether the decision is a denial at the key cap rather than by a limit of the
   * policy, which no limit can be, because no limit may take the name {@code max_keys}.
   */
  private static boolean isKeyCapDenial(Decision decision) {
    return !decision.allowed() && decision.limitName().equals(Limit.KEY_CAP_NAME);
  }

  /** Returns the first limit of the policy with the decision's limit, else the first limit. */
  private static String keyCapItemName(Policy policy, Decision decision) {
    return policy.limits().stream()
        .filter(limit -> limit.limit() == decision.limit())
        .findFirst()
        .orElse(policy.limits().get(0))
        .name();
  }

  /** Renders {@code RateLimit} for the limit that decided. */
  static String rateLimit(String limitName, long remaining, long resetAfterNanos) {
    return sfString(limitName) + ";r=" + sfInteger(remaining)
        + ";t=" + sfInteger(ceilSeconds(resetAfterNanos));
  }

  /**
   * Renders {@code Retry-After} in whole seconds, rounded up so that a client that waits that
   * long is not denied again for lack of time, and at least 1 because 0 would invite an
   * immediate retry.
   */
  static String retryAfter(long retryAfterNanos) {
    return Long.toString(Math.max(1, ceilSeconds(retryAfterNanos)));
  }

  static long ceilSeconds(long nanos) {
    return nanos / NANOS_PER_SECOND + (nanos % NANOS_PER_SECOND == 0 ? 0 : 1);
  }

  private static String policyItem(Limit limit) {
    return policyItem(limit.name(), limit.limit(), limit.periodNanos());
  }

  private static String policyItem(String name, long limit, long periodNanos) {
    String item = sfString(name) + ";q=" + sfInteger(limit);
    if (periodNanos % NANOS_PER_SECOND == 0) {
      item += ";w=" + sfInteger(periodNanos / NANOS_PER_SECOND);
    }
    return item;
  }

  private static String sfInteger(long value) {
    return Long.toString(Math.min(Math.max(value, 0), MAX_SF_INTEGER));
  }

  /**
   * Quotes a name as a structured-field string. Limit names are printable ASCII without quotes
   * or backslashes, but the escapes keep the field valid for any name.
   */
  private static String sfString(String text) {
    StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        quoted.append('\\');
      }
      quoted.append(c < 0x20 || c > 0x7e ? '?' : c);
    }
    return quoted.append('"').toString();
  }
}
