package dev.sluice.server.replay;

import dev.sluice.TimeSource;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.Optional;

/**
 * Reads the client, time and path of a Common or Combined Log Format line:
 *
 * <pre>
 * 127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif?x=1 HTTP/1.0" 200 2326 "-" "Mozilla"
 * </pre>
 *
 * <p>A line is an event when its client (the text before the first space) and its timestamp
 * (the first {@code [...]} after the client) can be read; what follows may be damaged or cut
 * off, as in a log truncated by a crash. The timestamp honours its zone offset, so
 * {@code 13:55:36 -0700} is 20:55:36 UTC. The path is the request target without its query
 * string, because the query string usually identifies a resource's arguments rather than
 * a separate resource. It is {@code -} when the request is {@code "-"}, is not closed by a
 * quote, or is not {@code METHOD TARGET} optionally followed by a protocol.
 *
 * <p>Timestamps before 1970 or after 2116-02-20T23:53:38Z are rejected, because a time source
 * returns nanoseconds since the Unix epoch from 0 to {@link TimeSource#MAX_NANOS} (2^62). Month
 * names are the English
 * abbreviations, case-sensitive, as Apache httpd and nginx write them.
 */
final class AccessLogParser {

  /** {@code dd/MMM/yyyy:HH:mm:ss +hhmm}. */
  private static final int TIMESTAMP_LENGTH = 26;

  private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /** The last second whose start a time source can return. */
  private static final long MAX_EPOCH_SECOND = TimeSource.MAX_NANOS / NANOS_PER_SECOND;

  /**
   * Marks an unreadable time or offset. No offset has this value, and a local time of this many
   * seconds (in 1901) lies before 1970 under any offset, so it is rejected anyway.
   */
  private static final int INVALID = Integer.MIN_VALUE;

  private AccessLogParser() {}

  /** Parses a line, or returns empty when its client or timestamp cannot be read. */
  static Optional<LogEntry> parse(String line) {
    int clientEnd = line.indexOf(' ');
    if (clientEnd <= 0) {
      return Optional.empty();
    }
    int open = line.indexOf('[', clientEnd);
    int close = open + TIMESTAMP_LENGTH + 1;
    if (open < 0 || close >= line.length() || line.charAt(close) != ']') {
      return Optional.empty();
    }
    long epochNanos = parseTimestamp(line, open + 1);
    if (epochNanos < 0) {
      return Optional.empty();
    }
    String client = line.substring(0, clientEnd);
    return Optional.of(new LogEntry(client, epochNanos, parsePath(line, close + 1)));
  }

  /**
   * Parses {@code dd/MMM/yyyy:HH:mm:ss +hhmm} at {@code start}, returning nanoseconds since the
   * epoch, or -1 when the text is not such a timestamp or lies outside 1970 to 2116.
   */
  static long parseTimestamp(String text, int start) {
    long localSecond = localEpochSecond(text, start);
    int offsetSeconds = offsetSeconds(text, start + 20);
    if (localSecond == INVALID || offsetSeconds == INVALID) {
      return -1;
    }
    long epochSecond = localSecond - offsetSeconds;
    if (epochSecond < 0 || epochSecond > MAX_EPOCH_SECOND) {
      return -1;
    }
    return epochSecond * NANOS_PER_SECOND;
  }

  /** Returns the seconds from 1970-01-01T00:00 to the local date and time, or INVALID. */
  private static long localEpochSecond(String text, int start) {
    boolean separators = text.charAt(start + 2) == '/' && text.charAt(start + 6) == '/'
        && text.charAt(start + 11) == ':' && text.charAt(start + 14) == ':'
        && text.charAt(start + 17) == ':';
    int day = number(text, start, 2, 31);
    int month = month(text, start + 3);
    int year = number(text, start + 7, 4, 9999);
    int hour = number(text, start + 12, 2, 23);
    int minute = number(text, start + 15, 2, 59);
    int second = number(text, start + 18, 2, 59);
    if (!separators || day < 0 || month < 0 || year < 0 || hour < 0 || minute < 0
        || second < 0) {
      return INVALID;
    }
    try {
      long epochDay = LocalDate.of(year, month, day).toEpochDay();
      return epochDay * 86_400 + hour * 3_600L + minute * 60L + second;
    } catch (DateTimeException invalidDate) {
      return INVALID;
    }
  }

  /** Returns the request target without its query string, or {@code -}; see the class doc. */
  static String parsePath(String line, int afterTimestamp) {
    if (!line.startsWith(" \"", afterTimestamp)) {
      return LogEntry.NO_PATH;
    }
    int requestStart = afterTimestamp + 2;
    int requestEnd = closingQuote(line, requestStart);
    if (requestEnd < 0) {
      return LogEntry.NO_PATH;
    }
    return pathOfRequest(line.substring(requestStart, requestEnd));
  }

  /** Returns the path of {@code METHOD TARGET [PROTOCOL]}, or {@code -}. */
  private static String pathOfRequest(String request) {
    String[] parts = request.split(" ", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty()) {
      return LogEntry.NO_PATH;
    }
    String target = parts[1];
    int query = target.indexOf('?');
    String path = query >= 0 ? target.substring(0, query) : target;
    return path.isEmpty() ? LogEntry.NO_PATH : path;
  }

  /** Returns the index of the quote that closes a quoted field, skipping {@code \"}, or -1. */
  private static int closingQuote(String line, int from) {
    for (int i = from; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        return i;
      }
    }
    return -1;
  }

  /** Returns the number in {@code count} ASCII digits at {@code start}, or -1 if above max. */
  private static int number(String text, int start, int count, int max) {
    int value = 0;
    for (int i = start; i < start + count; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value <= max ? value : -1;
  }

  /** Returns 1 to 12 for the English month abbreviation at {@code start}, or -1. */
  private static int month(String text, int start) {
    for (int i = 0; i < 12; i++) {
      if (text.regionMatches(start, MONTHS, i * 3, 3)) {
        return i + 1;
      }
    }
    return -1;
  }

  /** Returns the seconds east of UTC of {@code " +hhmm"} at {@code start}, or INVALID. */
  private static int offsetSeconds(String text, int start) {
    char sign = text.charAt(start + 1);
    int hours = number(text, start + 2, 2, 18);
    int minutes = number(text, start + 4, 2, 59);
    if (text.charAt(start) != ' ' || (sign != '+' && sign != '-') || hours < 0 || minutes < 0) {
      return INVALID;
    }
    int seconds = hours * 3_600 + minutes * 60;
    return sign == '+' ? seconds : -seconds;
  }
}
