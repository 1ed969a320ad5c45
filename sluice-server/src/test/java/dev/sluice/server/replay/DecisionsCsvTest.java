package dev.sluice.server.replay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Decision;
import java.io.IOException;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class DecisionsCsvTest {

  private static String row(int line, String key, boolean allowed, long waitNanos)
      throws IOException {
    StringWriter out = new StringWriter();
    DecisionsCsv.writeRow(out, line, key, allowed, waitNanos);
    return out.toString();
  }

  @Test
  void writeRow_allowedWithDelay_roundsDelayUp() throws IOException {
    // 1 ns over 2 ms is 3 ms rounded up.
    assertThat(row(7, "10.0.0.1", true, 2_000_001)).isEqualTo("7,10.0.0.1,true,3,0\n");
  }

  @Test
  void writeRow_allowedAtOnce_writesZeros() throws IOException {
    assertThat(row(1, "a", true, 0)).isEqualTo("1,a,true,0,0\n");
  }

  @Test
  void writeRow_denied_roundsRetryAfterUp() throws IOException {
    assertThat(row(2, "a", false, 24_000_000_000L)).isEqualTo("2,a,false,0,24000\n");
    assertThat(row(3, "a", false, 1)).isEqualTo("3,a,false,0,1\n");
  }

  @Test
  void writeRow_deniedForever_writesMinusOne() throws IOException {
    assertThat(row(4, "a", false, Decision.NEVER)).isEqualTo("4,a,false,0,-1\n");
  }

  @Test
  void writeRow_keyWithCommaOrQuote_quotesIt() throws IOException {
    assertThat(row(5, "10.0.0.1 /a,b", true, 0)).isEqualTo("5,\"10.0.0.1 /a,b\",true,0,0\n");
    assertThat(row(6, "/a\"b", true, 0)).isEqualTo("6,\"/a\"\"b\",true,0,0\n");
  }

  @Test
  void writeHeader_writesColumnNames() throws IOException {
    StringWriter out = new StringWriter();

    DecisionsCsv.writeHeader(out);

    assertThat(out.toString()).isEqualTo("line,key,allowed,delay_ms,retry_after_ms\n");
  }
}
