package dev.sluice.server.config;

import dev.sluice.internal.Printable;
import java.util.Collection;
import java.util.stream.Collectors;

/**
 * Shortens and escapes user-supplied text quoted in error messages, whether in a config error,
 * an HTTP response or a log. A value of a million characters gives an error of a few hundred,
 * and a value with line breaks or terminal escape sequences gives one line of plain text.
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

  /**
   * Escapes what a terminal would not show as text, by the rules of {@link Printable#escape},
   * so that a message or a line of output stays one line and cannot forge log lines or recolour
   * a terminal. {@link ConfigException} and the HTTP API's errors apply it to their whole
   * message, and {@code sluice replay} to the names it prints. The core's limit-name errors
   * are escaped by the same rules, so the server can pass them on unchanged.
   */
  public static String escape(String text) {
    return Printable.escape(text);
  }
}
