package dev.sluice.server.replay;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The events of an access log in compact form, in input-line order: per event a time, a line
 * number and a key id, in parallel arrays, with each distinct key stored once. A million
 * events take about 16 MB plus their distinct keys, whatever the length of the lines.
 *
 * <p>Lines are numbered from 1 as {@link BoundedLineReader} splits them, so a lone carriage
 * return also ends a line. A line longer than {@value BoundedLineReader#MAX_LINE_CHARS}
 * characters is malformed and is skipped without being kept. A log of more than
 * {@link Integer#MAX_VALUE} lines is rejected.
 */
final class EventLog {

  /** How many malformed line numbers are kept for the report. */
  static final int MALFORMED_LINES_KEPT = 5;

  private final KeyMode keyMode;
  private final Map<String, Integer> keyIds = new HashMap<>();
  private final List<String> keys = new ArrayList<>();
  private final List<Integer> firstMalformedLines = new ArrayList<>();
  private long[] times = new long[1 << 12];
  private int[] lineNumbers = new int[1 << 12];
  private int[] eventKeyIds = new int[1 << 12];
  private int size;
  private int lines;

  private EventLog(KeyMode keyMode) {
    this.keyMode = keyMode;
  }

  /**
   * Reads every line of an access log.
   *
   * @throws IOException if reading fails
   * @throws IllegalArgumentException if the log has more than {@link Integer#MAX_VALUE} lines
   */
  static EventLog read(Reader reader, KeyMode keyMode) throws IOException {
    EventLog log = new EventLog(keyMode);
    BoundedLineReader lines = new BoundedLineReader(reader);
    while (lines.advance()) {
      log.countLine();
      if (lines.tooLong()) {
        log.addMalformed();
      } else {
        log.add(lines.line());
      }
    }
    return log;
  }

  private void countLine() {
    if (lines == Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "the log has more than " + Integer.MAX_VALUE + " lines; split it and replay the parts");
    }
    lines++;
  }

  private void addMalformed() {
    if (firstMalformedLines.size() < MALFORMED_LINES_KEPT) {
      firstMalformedLines.add(lines);
    }
  }

  private void add(String line) {
    Optional<LogEntry> entry = AccessLogParser.parse(line);
    if (entry.isEmpty()) {
      addMalformed();
      return;
    }
    if (size == times.length) {
      grow();
    }
    times[size] = entry.get().epochNanos();
    lineNumbers[size] = lines;
    eventKeyIds[size] = intern(keyMode.keyOf(entry.get()));
    size++;
  }

  private int intern(String key) {
    Integer id = keyIds.get(key);
    if (id != null) {
      return id;
    }
    keyIds.put(key, keys.size());
    keys.add(key);
    return keys.size() - 1;
  }

  private void grow() {
    int capacity = size + Math.max(size >> 1, 1 << 12);
    if (capacity < 0) {
      capacity = Integer.MAX_VALUE - 8;
    }
    times = Arrays.copyOf(times, capacity);
    lineNumbers = Arrays.copyOf(lineNumbers, capacity);
    eventKeyIds = Arrays.copyOf(eventKeyIds, capacity);
  }

  /** The number of lines read, events and malformed lines together. */
  int lines() {
    return lines;
  }

  /** The number of events, lines whose client and timestamp could be read. */
  int size() {
    return size;
  }

  /** The number of lines that are not events. */
  int malformed() {
    return lines - size;
  }

  /** The line numbers of the first malformed lines, at most {@value #MALFORMED_LINES_KEPT}. */
  List<Integer> firstMalformedLines() {
    return List.copyOf(firstMalformedLines);
  }

  /** The time of event {@code i} in nanoseconds since the epoch. */
  long time(int i) {
    return times[i];
  }

  /** The 1-based line number of event {@code i}. */
  int lineNumber(int i) {
    return lineNumbers[i];
  }

  /** The id of event {@code i}'s key, from 0 to {@link #distinctKeys()} − 1. */
  int keyId(int i) {
    return eventKeyIds[i];
  }

  /** The key with the given id. */
  String key(int keyId) {
    return keys.get(keyId);
  }

  /** The number of distinct keys among the events. */
  int distinctKeys() {
    return keys.size();
  }

  /** The key mode the keys were made with. */
  KeyMode keyMode() {
    return keyMode;
  }

  /**
   * Returns the event indices in time order. Events at the same time keep their input order,
   * so that a log whose lines are out of order replays the same way every time.
   */
  int[] timeOrder() {
    return StableOrder.byTime(times, size);
  }
}
