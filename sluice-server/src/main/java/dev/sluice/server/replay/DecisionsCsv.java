package dev.sluice.server.replay;

import dev.sluice.Decision;
import java.io.IOException;
import java.io.Writer;

/**
 * The decisions file: one row per event, {@code line,key,allowed,delay_ms,retry_after_ms}.
 *
 * <p>{@code line} is the 1-based line number; {@code allowed} is {@code true} for every admitted
 * event, delayed or not; {@code delay_ms} (admitted) and {@code retry_after_ms} (denied) are
 * rounded up to whole milliseconds and 0 otherwise; {@code retry_after_ms} is -1 when the cost
 * exceeds what the limit can ever admit. A key containing a comma, a quote, a carriage return
 * or a line feed is enclosed in quotes, with each quote doubled (RFC 4180). Rows end with a
 * line feed.
 */
final class DecisionsCsv {

  static final String HEADER = "line,key,allowed,delay_ms,retry_after_ms";

  private static final long NANOS_PER_MILLI = 1_000_000L;

  private DecisionsCsv() {}

  static void writeHeader(Writer out) throws IOException {
    out.write(HEADER);
    out.write('\n');
  }

  /**
   * Writes one row.
   *
   * @param waitNanos the delay when admitted, the retry after (or {@link Decision#NEVER}) when
   *     denied
   */
  static void writeRow(Writer out, int line, String key, boolean allowed, long waitNanos)
      throws IOException {
    long delayMillis = allowed ? ceilMillis(waitNanos) : 0;
    long retryAfterMillis;
    if (allowed) {
      retryAfterMillis = 0;
    } else {
      retryAfterMillis = waitNanos == Decision.NEVER ? -1 : ceilMillis(waitNanos);
    }
    out.write(Integer.toString(line));
    out.write(',');
    out.write(quote(key));
    out.write(allowed ? ",true," : ",false,");
    out.write(Long.toString(delayMillis));
    out.write(',');
    out.write(Long.toString(retryAfterMillis));
    out.write('\n');
  }

  static long ceilMillis(long nanos) {
    return nanos / NANOS_PER_MILLI + (nanos % NANOS_PER_MILLI == 0 ? 0 : 1);
  }

  /** Returns the field as is, or quoted with quotes doubled when it needs quoting. */
  static String quote(String field) {
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == ',' || c == '"' || c == '\r' || c == '\n') {
        return '"' + field.replace("\"", "\"\"") + '"';
      }
    }
    return field;
  }
}
