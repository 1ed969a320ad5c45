package dev.sluice.server.replay;

import java.io.IOException;
import java.io.Reader;
import java.util.Objects;

/**
 * Splits text into lines of at most {@value #MAX_LINE_CHARS} characters, so that a file without
 * line breaks, such as {@code /dev/zero}, cannot fill the heap. A longer line is skipped up to
 * its end without being kept: {@link #advance()} still returns true for it, and {@link #line()}
 * then fails while {@link #tooLong()} is true.
 *
 * <p>Lines end as {@link java.io.BufferedReader#readLine()} ends them: at a line feed, a
 * carriage return, or both together, and the text after the last line break is a line when it
 * is not empty.
 */
final class BoundedLineReader {

  /** The maximum length of a line in characters (UTF-16 code units), line break excluded. */
  static final int MAX_LINE_CHARS = 1 << 16;

  private final Reader in;
  private final char[] buffer = new char[1 << 16];
  private final StringBuilder pending = new StringBuilder();
  private int position;
  private int end;
  private boolean afterCarriageReturn;
  private boolean tooLong;
  private String line;

  BoundedLineReader(Reader in) {
    this.in = Objects.requireNonNull(in, "in");
  }

  /**
   * Reads the next line, returning false at the end of the input.
   *
   * @throws IOException if reading fails
   */
  boolean advance() throws IOException {
    pending.setLength(0);
    tooLong = false;
    line = null;
    boolean started = false;
    while (position < end || fill()) {
      if (afterCarriageReturn) {
        afterCarriageReturn = false;
        if (buffer[position] == '\n') {
          position++;
          continue;
        }
      }
      started = true;
      if (scanToLineBreak()) {
        return true;
      }
    }
    if (started && !tooLong) {
      line = pending.toString();
    }
    return started;
  }

  /** Returns whether the current line is longer than {@value #MAX_LINE_CHARS} characters. */
  boolean tooLong() {
    return tooLong;
  }

  /**
   * Returns the current line without its line break.
   *
   * @throws IllegalStateException if the line is too long or no line has been read
   */
  String line() {
    if (line == null) {
      throw new IllegalStateException(
          tooLong ? "the line is longer than " + MAX_LINE_CHARS + " characters" : "no line read");
    }
    return line;
  }

  /**
   * Consumes the buffer up to the next line break, returning true when the line ended there and
   * false when the buffer ran out first.
   */
  private boolean scanToLineBreak() {
    int start = position;
    while (position < end && buffer[position] != '\n' && buffer[position] != '\r') {
      position++;
    }
    if (position == end) {
      keep(start, position);
      return false;
    }
    afterCarriageReturn = buffer[position] == '\r';
    if (pending.length() == 0 && !tooLong && position - start <= MAX_LINE_CHARS) {
      // The whole line is in the buffer, so it is copied once.
      line = new String(buffer, start, position - start);
    } else {
      keep(start, position);
      line = tooLong ? null : pending.toString();
    }
    position++;
    return true;
  }

  /** Adds a part of the current line to what is kept, or drops it once the line is too long. */
  private void keep(int from, int to) {
    if (tooLong) {
      return;
    }
    if (pending.length() + (to - from) > MAX_LINE_CHARS) {
      tooLong = true;
      pending.setLength(0);
      return;
    }
    pending.append(buffer, from, to - from);
  }

  private boolean fill() throws IOException {
    int read = in.read(buffer, 0, buffer.length);
    position = 0;
    end = Math.max(read, 0);
    return read > 0;
  }
}
