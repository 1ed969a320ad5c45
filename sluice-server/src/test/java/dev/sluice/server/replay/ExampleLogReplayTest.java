package dev.sluice.server.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replays the example log (10,000 lines from May 2015, out of order within minutes, one line
 * cut off in its user agent) and checks the counts against reference models written here:
 * their own parser built on a regular expression and {@link DateTimeFormatter}, and their own
 * arithmetic in whole nanoseconds, sharing no code with Sluice.
 */
class ExampleLogReplayTest {

  private static final Path EXAMPLE_LOG = Path.of("..", "examples", "access-2015-05.log");
  private static final Pattern CLIENT_AND_TIME = Pattern.compile("^(\\S+) \\S+ \\S+ \\[([^]]+)]");
  private static final DateTimeFormatter CLF_TIME =
      DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH);
  private static final long MINUTE_NANOS = 60_000_000_000L;

  private record Event(int line, long nanos, String client) {}

  private static List<Event> events;
  private static int malformed;

  @BeforeAll
  static void parseLogIndependently() throws IOException {
    events = new ArrayList<>();
    List<String> lines = Files.readAllLines(EXAMPLE_LOG, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      Matcher matcher = CLIENT_AND_TIME.matcher(lines.get(i));
      try {
        if (matcher.find()) {
          long seconds = OffsetDateTime.parse(matcher.group(2), CLF_TIME).toEpochSecond();
          events.add(new Event(i + 1, seconds * 1_000_000_000L, matcher.group(1)));
          continue;
        }
      } catch (DateTimeParseException notATime) {
        // counted as malformed below
      }
      malformed++;
    }
    events.sort(Comparator.comparingLong(Event::nanos).thenComparingInt(Event::line));
  }

  /**
   * Counts admissions of a token bucket of {@code burst} tokens refilled at {@code limit} per
   * {@code periodNanos}, one bucket per client. Tokens are kept multiplied by the period, so
   * that refilling {@code elapsed · limit / period} tokens is the whole number
   * {@code elapsed · limit}.
   */
  private static long tokenBucketAdmissions(long limit, long periodNanos, long burst) {
    Map<String, long[]> buckets = new HashMap<>();
    long admitted = 0;
    for (Event event : events) {
      long[] bucket = buckets.computeIfAbsent(
          event.client(), client -> new long[] {burst * periodNanos, event.nanos()});
      long elapsed = event.nanos() - bucket[1];
      long refilled = Math.addExact(bucket[0], Math.multiplyExact(elapsed, limit));
      bucket[0] = Math.min(burst * periodNanos, refilled);
      bucket[1] = event.nanos();
      if (bucket[0] >= periodNanos) {
        bucket[0] -= periodNanos;
        admitted++;
      }
    }
    return admitted;
  }

  /** Counts admissions of {@code limit} per window {@code [k·period, (k+1)·period)}. */
  private static long fixedWindowAdmissions(long limit, long periodNanos) {
    Map<String, long[]> windows = new HashMap<>();
    long admitted = 0;
    for (Event event : events) {
      long window = Math.floorDiv(event.nanos(), periodNanos);
      long[] count = windows.computeIfAbsent(event.client(), client -> new long[] {window, 0});
      if (count[0] != window) {
        count[0] = window;
        count[1] = 0;
      }
      if (count[1] < limit) {
        count[1]++;
        admitted++;
      }
    }
    return admitted;
  }

  private static JsonNode replayJson(String algorithm) throws IOException {
    CommandRun run = CommandRun.replay(EXAMPLE_LOG.toString(), "--algorithm", algorithm,
        "--limit", "10", "--period", "60s", "--key", "client", "--json");
    assertThat(run.exitCode()).as(run.err()).isZero();
    return new ObjectMapper().readTree(run.out());
  }

  @Test
  void referenceParse_exampleLog_isOutOfOrder() {
    // Guards the premises of the other tests: the log is out of order, and the line whose user
    // agent is cut off still has a client and a time, so it counts as an event.
    assertThat(events).hasSize(10_000);
    assertThat(malformed).isZero();
    assertThat(events.get(0).line()).isNotEqualTo(1);
  }

  @Test
  void replay_tokenBucket10PerMinute_matchesReferenceModel() throws IOException {
    long allowed = tokenBucketAdmissions(10, MINUTE_NANOS, 10);

    JsonNode summary = replayJson("token_bucket");

    assertThat(summary.get("lines").asLong()).isEqualTo(events.size() + malformed);
    assertThat(summary.get("malformed").asLong()).isEqualTo(malformed);
    assertThat(summary.get("events").asLong()).isEqualTo(events.size());
    assertThat(summary.get("allowed").asLong()).isEqualTo(allowed);
    assertThat(summary.get("delayed").asLong()).isZero();
    assertThat(summary.get("denied").asLong()).isEqualTo(events.size() - allowed);
    assertThat(summary.get("distinct_keys").asLong())
        .isEqualTo(events.stream().map(Event::client).distinct().count());
  }

  @Test
  void replay_fixedWindow10PerMinute_matchesReferenceModel() throws IOException {
    long allowed = fixedWindowAdmissions(10, MINUTE_NANOS);

    JsonNode summary = replayJson("fixed_window");

    assertThat(summary.get("malformed").asLong()).isEqualTo(malformed);
    assertThat(summary.get("allowed").asLong()).isEqualTo(allowed);
    assertThat(summary.get("denied").asLong()).isEqualTo(events.size() - allowed);
  }

  @Test
  void referenceModels_exampleLog_denySome() {
    // Without denials the comparisons above could not tell a limiter from none at all.
    // A separate model in Python (fractions, sorted events) gave the same numbers.
    assertThat(tokenBucketAdmissions(10, MINUTE_NANOS, 10)).isEqualTo(8_987);
    assertThat(fixedWindowAdmissions(10, MINUTE_NANOS)).isEqualTo(8_271);
  }
}
