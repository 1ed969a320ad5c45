package dev.sluice.server.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogReplayerTest {

  /**
   * Five lines, out of order, one malformed. In time order: line 5 (10.0.0.1 at 13:55:00),
   * line 2 (10.0.0.2 at 13:55:30), then lines 1 and 4 (10.0.0.1, both at 13:55:36).
   */
  private static final String SMALL_LOG = String.join("\n",
      "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a?x=1 HTTP/1.1\" 200 1 \"-\" \"ua\"",
      "10.0.0.2 - - [10/Oct/2000:13:55:30 -0700] \"GET /b HTTP/1.1\" 200 1",
      "garbage",
      "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.1\" 200 1",
      "10.0.0.1 - - [10/Oct/2000:13:55:00 -0700] \"-\" 408 0") + "\n";

  private static final Policy ONE_PER_MINUTE = Policy.of("replay",
      Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofMinutes(1)));

  private static ReplayResult replay(String log, Policy policy, KeyMode keyMode)
      throws IOException {
    return new LogReplayer(policy, keyMode).replay(new BufferedReader(new StringReader(log)));
  }

  private static String csv(ReplayResult result) throws IOException {
    StringWriter out = new StringWriter();
    result.writeDecisionsCsv(out);
    return out.toString();
  }

  private static String line(String client, String time) {
    return client + " - - [" + time + " +0000] \"GET /x HTTP/1.1\" 200 1\n";
  }

  @Test
  void replay_outOfOrderLines_decidedInTimeOrder() throws IOException {
    // 1 per minute: line 5 takes 10.0.0.1's token at 13:55:00; 36 s later lines 1 and 4 find
    // 36/60 of a token and are denied, to retry after the remaining 24 s. Line 2 is another key.
    ReplayResult result = replay(SMALL_LOG, ONE_PER_MINUTE, KeyMode.CLIENT);

    assertThat(csv(result)).isEqualTo("""
        line,key,allowed,delay_ms,retry_after_ms
        1,10.0.0.1,false,0,24000
        2,10.0.0.2,true,0,0
        4,10.0.0.1,false,0,24000
        5,10.0.0.1,true,0,0
        """);
  }

  @Test
  void replay_sameSecond_earlierLineIsDecidedFirst() throws IOException {
    String log = line("a", "10/Oct/2000:13:55:36") + line("a", "10/Oct/2000:13:55:36");

    ReplayResult result = replay(log, ONE_PER_MINUTE, KeyMode.CLIENT);

    assertThat(csv(result)).isEqualTo("""
        line,key,allowed,delay_ms,retry_after_ms
        1,a,true,0,0
        2,a,false,0,60000
        """);
  }

  @Test
  void replay_smallLog_summarizesCounts() throws IOException {
    ReplaySummary summary = replay(SMALL_LOG, ONE_PER_MINUTE, KeyMode.CLIENT).summary();

    assertThat(summary.lines()).isEqualTo(5);
    assertThat(summary.events()).isEqualTo(4);
    assertThat(summary.malformed()).isEqualTo(1);
    assertThat(summary.firstMalformedLines()).containsExactly(3);
    assertThat(summary.distinctKeys()).isEqualTo(2);
    assertThat(summary.allowed()).isEqualTo(2);
    assertThat(summary.delayed()).isZero();
    assertThat(summary.denied()).isEqualTo(2);
    assertThat(summary.topDeniedKeys())
        .containsExactly(new ReplaySummary.KeyDenials("10.0.0.1", 2));
  }

  @Test
  void toText_smallLog_printsAlignedRows() throws IOException {
    String text = replay(SMALL_LOG, ONE_PER_MINUTE, KeyMode.CLIENT).summary().toText();

    assertThat(text).isEqualTo("""
        policy         replay
        limit          1/1m: token_bucket, 1 per 1m, burst 1
        key            client
        lines          5
        events         4
        malformed      1 (lines 3)
        distinct keys  2
        allowed        2
        delayed        0
        denied         2
        top keys by denials:
          2  10.0.0.1
        """);
  }

  @Test
  void toJson_smallLog_printsOneLineObject() throws IOException {
    String json = replay(SMALL_LOG, ONE_PER_MINUTE, KeyMode.CLIENT).summary().toJson();

    assertThat(json).endsWith("}\n").doesNotContain("\n  ");
    JsonNode root = new ObjectMapper().readTree(json);
    assertThat(root.get("policy").asText()).isEqualTo("replay");
    assertThat(root.get("limits").get(0).get("algorithm").asText()).isEqualTo("token_bucket");
    assertThat(root.get("limits").get(0).get("period").asText()).isEqualTo("1m");
    assertThat(root.get("key").asText()).isEqualTo("client");
    assertThat(root.get("lines").asLong()).isEqualTo(5);
    assertThat(root.get("events").asLong()).isEqualTo(4);
    assertThat(root.get("malformed").asLong()).isEqualTo(1);
    assertThat(root.get("malformed_lines").toString()).isEqualTo("[3]");
    assertThat(root.get("distinct_keys").asLong()).isEqualTo(2);
    assertThat(root.get("allowed").asLong()).isEqualTo(2);
    assertThat(root.get("delayed").asLong()).isZero();
    assertThat(root.get("denied").asLong()).isEqualTo(2);
    assertThat(root.get("top_denied_keys").toString())
        .isEqualTo("[{\"key\":\"10.0.0.1\",\"denied\":2}]");
  }

  @Test
  void replay_keyPath_limitsEachPath() throws IOException {
    // Keys: line 1 /a, line 2 /b, line 4 /a, line 5 "-" (request "-"). In time order /a is
    // first taken at 13:55:36 by line 1, so line 4 at the same instant is denied.
    ReplayResult result = replay(SMALL_LOG, ONE_PER_MINUTE, KeyMode.PATH);

    assertThat(csv(result)).isEqualTo("""
        line,key,allowed,delay_ms,retry_after_ms
        1,/a,true,0,0
        2,/b,true,0,0
        4,/a,false,0,60000
        5,-,true,0,0
        """);
  }

  @Test
  void replay_keyClientPath_joinsWithSpace() throws IOException {
    ReplayResult result = replay(SMALL_LOG, ONE_PER_MINUTE, KeyMode.CLIENT_PATH);

    assertThat(csv(result)).isEqualTo("""
        line,key,allowed,delay_ms,retry_after_ms
        1,10.0.0.1 /a,true,0,0
        2,10.0.0.2 /b,true,0,0
        4,10.0.0.1 /a,false,0,60000
        5,10.0.0.1 -,true,0,0
        """);
    assertThat(result.summary().distinctKeys()).isEqualTo(3);
  }

  @Test
  void replay_leakyBucketShape_countsDelayedApart() throws IOException {
    // Leaks 1 a minute, with room for 2. At one instant: the first finds the bucket empty (no
    // delay), the second waits for 1 unit to leak (60 s), the third finds it full and waits 60 s.
    Policy shaped = Policy.of("shaped",
        Limit.of(Algorithm.LEAKY_BUCKET, 1, Duration.ofMinutes(1))
            .withBurst(2)
            .withMode(Mode.SHAPE));
    String time = "10/Oct/2000:13:55:36";
    String log = line("a", time) + line("a", time) + line("a", time);

    ReplayResult result = replay(log, shaped, KeyMode.CLIENT);

    assertThat(csv(result)).isEqualTo("""
        line,key,allowed,delay_ms,retry_after_ms
        1,a,true,0,0
        2,a,true,60000,0
        3,a,false,0,60000
        """);
    ReplaySummary summary = result.summary();
    assertThat(summary.allowed()).isEqualTo(1);
    assertThat(summary.delayed()).isEqualTo(1);
    assertThat(summary.denied()).isEqualTo(1);
  }

  @Test
  void summary_manyMalformedLines_keepsFirstFive() throws IOException {
    String log = "x\n" + line("a", "10/Oct/2000:13:55:36") + "y\n\nz\nw\nv\n";

    ReplaySummary summary = replay(log, ONE_PER_MINUTE, KeyMode.CLIENT).summary();

    assertThat(summary.malformed()).isEqualTo(6);
    assertThat(summary.firstMalformedLines()).containsExactly(1, 3, 4, 5, 6);
    assertThat(summary.toText()).contains("malformed      6 (first lines 1, 3, 4, 5, 6)\n");
  }

  @Test
  void summary_manyDeniedKeys_listsTopTen() throws IOException {
    // Key kNN sends NN % 4 + 2 requests at one instant, so it has NN % 4 + 1 denials.
    StringBuilder log = new StringBuilder();
    for (int n = 10; n < 30; n++) {
      for (int i = 0; i < n % 4 + 2; i++) {
        log.append(line("k" + n, "10/Oct/2000:13:55:36"));
      }
    }
    List<String> expected = new ArrayList<>();
    for (int denials = 4; denials >= 1 && expected.size() < 10; denials--) {
      for (int n = 10; n < 30 && expected.size() < 10; n++) {
        if (n % 4 + 1 == denials) {
          expected.add("k" + n + "=" + denials);
        }
      }
    }

    ReplaySummary summary = replay(log.toString(), ONE_PER_MINUTE, KeyMode.CLIENT).summary();

    assertThat(summary.topDeniedKeys())
        .extracting(key -> key.key() + "=" + key.denied())
        .containsExactlyElementsOf(expected);
  }

  @Test
  void summary_noDenials_saysNone() throws IOException {
    String log = line("a", "10/Oct/2000:13:55:36");

    String text = replay(log, ONE_PER_MINUTE, KeyMode.CLIENT).summary().toText();

    assertThat(text).endsWith("top keys by denials: none\n");
  }

  @Test
  void replay_emptyLog_reportsZeros() throws IOException {
    ReplayResult result = replay("", ONE_PER_MINUTE, KeyMode.CLIENT);

    ReplaySummary summary = result.summary();
    assertThat(summary.lines()).isZero();
    assertThat(summary.events()).isZero();
    assertThat(summary.distinctKeys()).isZero();
    assertThat(csv(result)).isEqualTo("line,key,allowed,delay_ms,retry_after_ms\n");
  }

  @Test
  void replay_crlfLineEnds_readsEveryLine() throws IOException {
    String log = line("a", "10/Oct/2000:13:55:36").replace("\n", "\r\n")
        + line("b", "10/Oct/2000:13:55:37").replace("\n", "\r\n");

    ReplaySummary summary = replay(log, ONE_PER_MINUTE, KeyMode.PATH).summary();

    assertThat(summary.lines()).isEqualTo(2);
    assertThat(summary.events()).isEqualTo(2);
    assertThat(summary.denied()).isEqualTo(1);
  }
}
