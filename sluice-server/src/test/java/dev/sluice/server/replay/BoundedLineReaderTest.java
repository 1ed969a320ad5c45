package dev.sluice.server.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BoundedLineReaderTest {

  private static final int MAX = 65_536;

  /** Reads every line, writing a too-long line as {@code <too long>}. */
  private static List<String> readAll(Reader reader) throws IOException {
    BoundedLineReader lines = new BoundedLineReader(reader);
    List<String> all = new ArrayList<>();
    while (lines.advance()) {
      all.add(lines.tooLong() ? "<too long>" : lines.line());
    }
    return all;
  }

  /** Splits the text as BufferedReader.readLine does, the reference for these tests. */
  private static List<String> readLines(String text) throws IOException {
    return new BufferedReader(new StringReader(text)).lines().toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a", "a\n", "a\nb", "\n", "\n\n", "a\r\nb\r\n", "a\rb", "\r",
      "\r\n", "\r\r\n\n", "a\n\r\nb", "\n\rx"})
  void advance_shortLines_splitsLikeBufferedReader(String text) throws IOException {
    assertThat(readAll(new StringReader(text))).isEqualTo(readLines(text));
  }

  @Test
  void advance_linesAcrossBufferEnds_splitsLikeBufferedReader() throws IOException {
    // Lines of 1,000 to 1,119 characters end with \r\n, \n or \r, so that over many 65,536-char
    // buffers a line break, and the \r and \n of one break, fall on a buffer end.
    StringBuilder text = new StringBuilder();
    String[] breaks = {"\r\n", "\n", "\r"};
    for (int i = 0; i < 600; i++) {
      text.append(Character.toString('a' + i % 26).repeat(1_000 + i % 120));
      text.append(breaks[i % 3]);
    }

    assertThat(readAll(new StringReader(text.toString()))).isEqualTo(readLines(text.toString()));
  }

  @Test
  void advance_lineOfMaximumLength_keepsIt() throws IOException {
    String longest = "y".repeat(MAX);

    List<String> between = readAll(new StringReader("x\n" + longest + "\nz"));
    List<String> last = readAll(new StringReader(longest));

    assertThat(between).hasSize(3);
    assertThat(between.get(1).equals(longest)).as("line 2 is the longest line").isTrue();
    assertThat(last).hasSize(1);
    assertThat(last.get(0).equals(longest)).as("the only line is the longest line").isTrue();
  }

  @Test
  void advance_lineOneOverMaximum_marksItTooLong() throws IOException {
    String tooLong = "y".repeat(MAX + 1);

    assertThat(readAll(new StringReader("x\n" + tooLong + "\r\nz"))).containsExactly("x",
        "<too long>", "z");
    assertThat(readAll(new StringReader(tooLong))).containsExactly("<too long>");
  }

  @Test
  void advance_lineOfManyBuffers_skippedAndNextLineRead() throws IOException {
    // 10 million characters without a break, read in small pieces by a reader that builds them
    // on the fly, then one short line.
    Reader reader = new RepeatingReader(10_000_000, "\nlast\n");

    assertThat(readAll(reader)).containsExactly("<too long>", "last");
  }

  @Test
  void line_tooLong_throwsNamingMaximum() throws IOException {
    BoundedLineReader lines = new BoundedLineReader(new StringReader("y".repeat(MAX + 1)));

    assertThat(lines.advance()).isTrue();
    assertThatThrownBy(lines::line)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the line is longer than 65536 characters");
  }

  /** Returns {@code count} characters 'x' and then {@code tail}, without storing them. */
  private static final class RepeatingReader extends Reader {
    private final String tail;
    private long left;
    private int tailRead;

    RepeatingReader(long count, String tail) {
      this.left = count;
      this.tail = tail;
    }

    @Override
    public int read(char[] buffer, int offset, int length) {
      if (left > 0) {
        int n = (int) Math.min(Math.min(length, left), 4_000);
        Arrays.fill(buffer, offset, offset + n, 'x');
        left -= n;
        return n;
      }
      if (tailRead == tail.length()) {
        return -1;
      }
      buffer[offset] = tail.charAt(tailRead++);
      return 1;
    }

    @Override
    public void close() {}
  }
}
