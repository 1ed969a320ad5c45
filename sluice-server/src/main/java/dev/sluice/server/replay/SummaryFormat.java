package dev.sluice.server.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.server.config.MessageText;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Writes a {@link ReplaySummary} as text or JSON. Both list the same facts in the same order,
 * and neither depends on hash order, locale or time, so the same summary always gives the same
 * bytes.
 */
final class SummaryFormat {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String[] UNITS = {"d", "h", "m", "s", "ms"};
  private static final long[] UNIT_NANOS = {
    86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L
  };

  private SummaryFormat() {}

  static String text(ReplaySummary summary) {
    StringBuilder out = new StringBuilder();
    row(out, "policy", MessageText.escape(summary.policy().name()));
    for (Limit limit : summary.policy().limits()) {
      row(out, "limit", MessageText.escape(describe(limit)));
    }
    row(out, "key", summary.keyMode().configName());
    row(out, "lines", Long.toString(summary.lines()));
    row(out, "events", Long.toString(summary.events()));
    row(out, "malformed", malformedText(summary));
    row(out, "distinct keys", Long.toString(summary.distinctKeys()));
    row(out, "allowed", Long.toString(summary.allowed()));
    row(out, "delayed", Long.toString(summary.delayed()));
    row(out, "denied", Long.toString(summary.denied()));
    topKeysText(out, summary.topDeniedKeys());
    return out.toString();
  }

  static String json(ReplaySummary summary) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("policy", summary.policy().name());
    ArrayNode limits = root.putArray("limits");
    summary.policy().limits().forEach(limit -> limits.add(limitJson(limit)));
    root.put("key", summary.keyMode().configName());
    root.put("lines", summary.lines());
    root.put("events", summary.events());
    root.put("malformed", summary.malformed());
    ArrayNode malformedLines = root.putArray("malformed_lines");
    summary.firstMalformedLines().forEach(malformedLines::add);
    root.put("distinct_keys", summary.distinctKeys());
    root.put("allowed", summary.allowed());
    root.put("delayed", summary.delayed());
    root.put("denied", summary.denied());
    ArrayNode top = root.putArray("top_denied_keys");
    for (ReplaySummary.KeyDenials key : summary.topDeniedKeys()) {
      top.addObject().put("key", key.key()).put("denied", key.denied());
    }
    try {
      return MAPPER.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException impossible) {
      throw new IllegalStateException("a JSON tree of strings and numbers failed to serialize",
          impossible);
    }
  }

  private static ObjectNode limitJson(Limit limit) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("name", limit.name());
    node.put("algorithm", limit.algorithm().configName());
    node.put("limit", limit.limit());
    node.put("period", formatPeriod(limit.period()));
    node.put("burst", limit.burst());
    node.put("mode", limit.mode().configName());
    return node;
  }

  /** Describes a limit, such as {@code 10/1m: token_bucket, 10 per 1m, burst 10}. */
  static String describe(Limit limit) {
    String text = limit.name() + ": " + limit.algorithm().configName() + ", " + limit.limit()
        + " per " + formatPeriod(limit.period());
    if (limit.algorithm().hasBurst()) {
      text += ", burst " + limit.burst();
    }
    if (limit.algorithm() == Algorithm.LEAKY_BUCKET) {
      text += ", mode " + limit.mode().configName();
    }
    return text;
  }

  /** Formats a period in the largest unit of the config syntax that divides it exactly. */
  static String formatPeriod(Duration period) {
    long nanos = period.toNanos();
    for (int i = 0; i < UNITS.length; i++) {
      if (nanos % UNIT_NANOS[i] == 0) {
        return nanos / UNIT_NANOS[i] + UNITS[i];
      }
    }
    return nanos + "ns";
  }

  private static String malformedText(ReplaySummary summary) {
    List<Integer> first = summary.firstMalformedLines();
    if (first.isEmpty()) {
      return Long.toString(summary.malformed());
    }
    String lines = first.stream().map(String::valueOf).collect(Collectors.joining(", "));
    String label = first.size() < summary.malformed() ? "first lines " : "lines ";
    return summary.malformed() + " (" + label + lines + ")";
  }

  private static void topKeysText(StringBuilder out, List<ReplaySummary.KeyDenials> keys) {
    if (keys.isEmpty()) {
      out.append("top keys by denials: none\n");
      return;
    }
    out.append("top keys by denials:\n");
    int width = Long.toString(keys.get(0).denied()).length();
    for (ReplaySummary.KeyDenials key : keys) {
      String count = Long.toString(key.denied());
      out.append("  ").append(" ".repeat(width - count.length())).append(count)
          .append("  ").append(MessageText.escape(key.key())).append('\n');
    }
  }

  private static void row(StringBuilder out, String label, String value) {
    out.append(label).append(" ".repeat(15 - label.length())).append(value).append('\n');
  }
}
