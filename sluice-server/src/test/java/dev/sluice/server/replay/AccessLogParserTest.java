package dev.sluice.server.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AccessLogParserTest {

  private static final String AGENT = "\"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"";

  /** Nanoseconds since the epoch of an ISO-8601 instant, computed by java.time. */
  private static long nanos(String isoInstant) {
    return Instant.parse(isoInstant).getEpochSecond() * 1_000_000_000L;
  }

  private static LogEntry parsed(String line) {
    Optional<LogEntry> entry = AccessLogParser.parse(line);
    assertThat(entry).as("parse of: %s", line).isPresent();
    return entry.get();
  }

  @Test
  void parse_combinedLine_readsClientTimeAndPath() {
    LogEntry entry = parsed("198.18.0.1 - - [17/May/2015:10:05:03 +0000]"
        + " \"GET /images/kibana.png HTTP/1.1\" 200 203023 " + AGENT);

    assertThat(entry.client()).isEqualTo("198.18.0.1");
    assertThat(entry.epochNanos()).isEqualTo(nanos("2015-05-17T10:05:03Z"));
    assertThat(entry.path()).isEqualTo("/images/kibana.png");
  }

  @Test
  void parse_commonLine_readsClientTimeAndPath() {
    LogEntry entry =
        parsed("127.0.0.1 - frank [10/Oct/2000:13:55:36 +0000] \"GET /a.gif HTTP/1.0\" 200 2326");

    assertThat(entry.client()).isEqualTo("127.0.0.1");
    assertThat(entry.path()).isEqualTo("/a.gif");
  }

  @Test
  void parse_negativeOffset_addsItToReachUtc() {
    // 13:55:36 at UTC-7 is 20:55:36 UTC.
    LogEntry entry = parsed("h - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1");

    assertThat(entry.epochNanos()).isEqualTo(nanos("2000-10-10T20:55:36Z"));
  }

  @Test
  void parse_positiveOffset_canCrossMidnight() {
    // 01:10:00 at UTC+05:30 is 19:40:00 UTC of the day before.
    LogEntry entry = parsed("h - - [01/Mar/2016:01:10:00 +0530] \"GET / HTTP/1.0\" 200 1");

    assertThat(entry.epochNanos()).isEqualTo(nanos("2016-02-29T19:40:00Z"));
  }

  @Test
  void parse_queryString_isLeftOutOfPath() {
    LogEntry entry =
        parsed("h - - [10/Oct/2000:13:55:36 +0000] \"GET /search?q=a HTTP/1.1\" 200 1");

    assertThat(entry.path()).isEqualTo("/search");
  }

  @Test
  void parse_http09Request_readsPath() {
    LogEntry entry = parsed("h - - [10/Oct/2000:13:55:36 +0000] \"GET /old\" 200 1");

    assertThat(entry.path()).isEqualTo("/old");
  }

  @Test
  void parse_escapedQuote_staysInPath() {
    LogEntry entry =
        parsed("h - - [10/Oct/2000:13:55:36 +0000] \"GET /a\\\"b HTTP/1.1\" 200 1 " + AGENT);

    assertThat(entry.path()).isEqualTo("/a\\\"b");
  }

  @Test
  void parse_agentCutOff_isStillEvent() {
    LogEntry entry = parsed("198.18.4.44 - - [20/May/2015:12:05:17 +0000]"
        + " \"GET /scripts/configlib.py HTTP/1.1\" 200 235 \"-\" \"Mozilla/5.0 (compatible; Goo");

    assertThat(entry.client()).isEqualTo("198.18.4.44");
    assertThat(entry.epochNanos()).isEqualTo(nanos("2015-05-20T12:05:17Z"));
    assertThat(entry.path()).isEqualTo("/scripts/configlib.py");
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] \"-\" 408 0",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /cut-off",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] \"\\x16\\x03\\x01\" 400 0",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /a b HTTP/1.1\" 400 0",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] \"GET ?only=query HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000]",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] 200 1",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000]\"GET / HTTP/1.1\" 200 1",
  })
  void parse_damagedRequest_isEventWithDashPath(String line) {
    LogEntry entry = parsed(line);

    assertThat(entry.client()).isEqualTo("10.0.0.1");
    assertThat(entry.epochNanos()).isEqualTo(nanos("2000-10-10T13:55:36Z"));
    assertThat(entry.path()).isEqualTo("-");
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "",
    " ",
    "garbage",
    " 10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - 10/Oct/2000:13:55:36 +0000 \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000:13:55",
    "10.0.0.1 - - [10/Oct/2000:13:55:36]",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0000",
    "10.0.0.1 - - [10/oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Okt/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [32/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [30/Feb/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000:24:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000:13:60:36 +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000:13:55:3x +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000 13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 *0700] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +1900] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [10/Oct/2000:13:55:36 +0060] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [31/Dec/1969:23:59:59 +0000] \"GET / HTTP/1.1\" 200 1",
    "10.0.0.1 - - [01/Jan/2263:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
    "[Sun Oct 10 13:55:36 2000] [error] [client 10.0.0.1] File does not exist: /var/www/x",
  })
  void parse_unreadableClientOrTimestamp_isMalformed(String line) {
    assertThat(AccessLogParser.parse(line)).as("parse of: %s", line).isEmpty();
  }

  @Test
  void parse_firstSecondOf1970_isEvent() {
    LogEntry entry = parsed("h - - [01/Jan/1970:01:00:00 +0100] \"GET / HTTP/1.1\" 200 1");

    assertThat(entry.epochNanos()).isZero();
  }

  @Test
  void parse_lastSecondATimeSourceCanReturn_isEvent() {
    // A time source returns at most 2^62 ns = 4,611,686,018.427387904 s after the epoch:
    // 4,611,686,018 s = 53,375 days + 86,018 s, which is 2116-02-20 (53,375 days after
    // 1970-01-01) at 23:53:38, so that is the last whole second.
    LogEntry last = parsed("h - - [20/Feb/2116:23:53:38 +0000] \"GET / HTTP/1.1\" 200 1");

    assertThat(last.epochNanos()).isEqualTo(4_611_686_018_000_000_000L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"20/Feb/2116:23:53:39 +0000", "21/Feb/2116:00:00:00 +0000",
      "01/Jan/2117:00:00:00 +0000", "11/Apr/2262:23:47:16 +0000", "17/May/9999:00:00:00 +0000",
      "20/Feb/2116:22:53:39 -0100"})
  void parse_afterLastSecondATimeSourceCanReturn_isMalformed(String time) {
    String line = "h - - [" + time + "] \"GET / HTTP/1.1\" 200 1";

    assertThat(AccessLogParser.parse(line)).as("parse of: %s", line).isEmpty();
  }
}
