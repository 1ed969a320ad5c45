package dev.sluice.server.config;

import dev.sluice.internal.Durations;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations written in config files and on the command line: a whole number and a
 * unit, one of {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}, such as {@code 500ms},
 * {@code 60s} or {@code 1h}. The text must be exactly that: no spaces, no sign, no {@code _}
 * separators and no leading zeros.
 */
public final class DurationParser {

  /**
   * The largest duration parsed when the caller gives no bound: 106751 days, the largest whole
   * number of days whose nanoseconds fit in a {@code long}, so that callers may convert any
   * parsed duration to nanoseconds.
   */
  public static final Duration MAX = Duration.ofDays(106_751);

  private static final Pattern FORMAT = Pattern.compile("([0-9]+)(ms|s|m|h|d)");

  /**
   * The most digits parsed as a {@code long}. {@link #MAX} has 13 digits in milliseconds, so
   * every amount with more digits is above it in every unit.
   */
  private static final int MAX_DIGITS = 18;

  private DurationParser() {}

  /**
   * Parses {@code text} as a duration of at most {@link #MAX}.
   *
   * @param field what the value is for, named in the error message, such as {@code period}
   * @throws IllegalArgumentException naming the field, the bad value and the expected form
   */
  public static Duration parse(String text, String field) {
    return parse(text, field, MAX);
  }

  /**
   * Parses {@code text} as a duration of at most {@code max}.
   *
   * @param field what the value is for, named in the error message, such as {@code period}
   * @param max the largest accepted duration, at most {@link #MAX}
   * @throws IllegalArgumentException naming the field, the bad value and the expected form, or
   *     the bound when the duration is well-formed but above {@code max}
   */
  public static Duration parse(String text, String field, Duration max) {
    Matcher matcher = FORMAT.matcher(text == null ? "" : text);
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          field + " must be a whole number followed by ms, s, m, h or d (such as 500ms or 60s),"
              + " got '" + text + "'");
    }
    String digits = matcher.group(1);
    if (digits.length() > 1 && digits.charAt(0) == '0') {
      throw new IllegalArgumentException(field + " must be written without leading zeros, such"
          + " as 1s for 01s, got '" + text + "'");
    }
    if (digits.length() > MAX_DIGITS) {
      throw tooLong(field, max, text);
    }
    Duration duration = toDuration(Long.parseLong(digits), matcher.group(2));
    if (duration == null || duration.compareTo(max) > 0) {
      throw tooLong(field, max, text);
    }
    return duration;
  }

  /** Returns the duration, or null when it does not fit in a {@link Duration}. */
  private static Duration toDuration(long amount, String unit) {
    try {
      return switch (unit) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
    } catch (ArithmeticException tooLong) {
      return null;
    }
  }

  private static IllegalArgumentException tooLong(String field, Duration max, String text) {
    return new IllegalArgumentException(
        field + " must be at most " + Durations.format(max) + ", got " + text);
  }
}
