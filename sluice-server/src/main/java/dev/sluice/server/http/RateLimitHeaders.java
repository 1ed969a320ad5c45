package dev.sluice.server.http;

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
    String item = sfString(limit.name()) + ";q=" + sfInteger(limit.limit());
    long periodNanos = limit.periodNanos();
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
