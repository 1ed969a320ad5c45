package dev.sluice.server.config;

import java.util.Collection;
import java.util.stream.Collectors;

/**
 * Shortens user-supplied text quoted in error messages, so that a value of a million characters
 * gives an error of a few hundred, whether in a config error or an HTTP response.
 */
public final class MessageText {

  /** The characters (Unicode code points) of a value that a message quotes in full. */
  public static final int MAX_QUOTED_CHARS = 100;

  /** The names a message lists before it gives the count of the rest. */
  public static final int MAX_LISTED_NAMES = 20;

  private MessageText() {}

  /**
   * Returns {@code text} if it has at most {@value #MAX_QUOTED_CHARS} characters, else its first
   * {@value #MAX_QUOTED_CHARS} characters followed by {@code … (N characters)}, N being the
   * length of the whole text.
   */
  public static String truncate(String text) {
    int length = text.codePointCount(0, text.length());
    if (length <= MAX_QUOTED_CHARS) {
      return text;
    }
    int end = text.offsetByCodePoints(0, MAX_QUOTED_CHARS);
    return text.substring(0, end) + "\u2026 (" + length + " characters)";
  }

  /**
   * Joins names with commas, at most {@value #MAX_LISTED_NAMES} of them followed by
   * {@code and N more}, each name truncated as by {@link #truncate(String)}.
   */
  public static String list(Collection<String> names) {
    String listed = names.stream()
        .limit(MAX_LISTED_NAMES)
        .map(MessageText::truncate)
        .collect(Collectors.joining(", "));
    int rest = names.size() - MAX_LISTED_NAMES;
    return rest > 0 ? listed + " and " + rest + " more" : listed;
  }
}
