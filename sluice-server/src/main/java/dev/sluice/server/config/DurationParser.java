package dev.sluice.server.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations written in config files and on the command line: a whole number and a
 * unit, one of {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}, such as {@code 500ms},
 * {@code 60s} or {@code 1h}.
 */
public final class DurationParser {

  private static final Pattern FORMAT = Pattern.compile("(\\d{1,18})(ms|s|m|h|d)");

  private DurationParser() {}

  /**
   * Parses {@code text}.
   *
   * @param field what the value is for, named in the error message, such as {@code period}
   * @throws IllegalArgumentException naming the field, the bad value and the expected form
   */
  public static Duration parse(String text, String field) {
    Matcher matcher = FORMAT.matcher(text == null ? "" : text.trim());
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          field + " must be a whole number followed by ms, s, m, h or d (such as 500ms or 60s),"
              + " got '" + text + "'");
    }
    long amount = Long.parseLong(matcher.group(1));
    try {
      return switch (matcher.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
    } catch (ArithmeticException tooLong) {
      throw new IllegalArgumentException(field + " is too long, got '" + text + "'");
    }
  }
}
