package dev.sluice.bench;

import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/** Reads numbers from the text of Redis's {@code INFO} command. */
final class RedisInfo {

  private RedisInfo() {}

  /**
   * Returns the calls per command in {@code INFO commandstats}, such as {@code evalsha=12}.
   * Commands that scripts call count too.
   */
  static Map<String, Long> calls(String commandstats) {
    Map<String, Long> calls = new TreeMap<>();
    for (String line : commandstats.split("\r?\n")) {
      int start = line.indexOf("calls=");
      if (line.startsWith("cmdstat_") && start >= 0) {
        String command = line.substring("cmdstat_".length(), line.indexOf(':'));
        int end = line.indexOf(',', start);
        calls.put(command, Long.parseLong(line.substring(start + "calls=".length(), end)));
      }
    }
    return calls;
  }

  /**
   * Returns the calls per command between two {@link #calls} results, divided by n, leaving
   * out the {@code INFO} calls that took the results.
   */
  static String perCall(Map<String, Long> before, Map<String, Long> after, long n) {
    StringJoiner text = new StringJoiner(" ");
    after.forEach((command, count) -> {
      long delta = count - before.getOrDefault(command, 0L);
      if (delta > 0 && !command.equals("info")) {
        text.add(String.format(Locale.ROOT, "%s=%.2f", command, delta / (double) n));
      }
    });
    return text.toString();
  }
}
