package dev.sluice.server.replay;

import dev.sluice.Policy;
import java.util.List;

/**
 * The outcome of replaying an access log through a policy. {@code allowed}, {@code delayed} and
 * {@code denied} are disjoint and add up to {@code events}; {@code events} and
 * {@code malformed} add up to {@code lines}.
 *
 * @param policy the policy replayed
 * @param keyMode which fields of a line made the key
 * @param lines lines read
 * @param events lines whose client and timestamp could be read
 * @param malformed lines that are not events
 * @param firstMalformedLines the line numbers of the first malformed lines, at most 5
 * @param distinctKeys distinct keys among the events
 * @param allowed events admitted at once
 * @param delayed events admitted with a shaping delay above 0
 * @param denied events denied
 * @param topDeniedKeys up to 10 keys with at least one denial, most denials first, ties by key
 */
public record ReplaySummary(
    Policy policy,
    KeyMode keyMode,
    long lines,
    long events,
    long malformed,
    List<Integer> firstMalformedLines,
    long distinctKeys,
    long allowed,
    long delayed,
    long denied,
    List<KeyDenials> topDeniedKeys) {

  /** Copies the lists. */
  public ReplaySummary {
    firstMalformedLines = List.copyOf(firstMalformedLines);
    topDeniedKeys = List.copyOf(topDeniedKeys);
  }

  /** A key and the number of its events that were denied. */
  public record KeyDenials(String key, long denied) {}

  /** Returns the summary as aligned lines for people, each ending with a line feed. */
  public String toText() {
    return SummaryFormat.text(this);
  }

  /** Returns the summary as one JSON object on one line, ending with a line feed. */
  public String toJson() {
    return SummaryFormat.json(this);
  }
}
