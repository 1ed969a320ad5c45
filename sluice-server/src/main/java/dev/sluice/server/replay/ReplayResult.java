package dev.sluice.server.replay;

import dev.sluice.Decision;
import dev.sluice.Policy;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The decision on every event of a replayed log, with the counts of a {@link ReplaySummary}.
 * Per event it keeps whether it was admitted and one wait: the delay of an admitted event, the
 * retry after of a denied one.
 */
public final class ReplayResult {

  /** How many keys {@link #summary()} lists, those with the most denials. */
  public static final int TOP_KEYS = 10;

  private final Policy policy;
  private final EventLog log;
  private final boolean[] allowed;
  private final long[] waitNanos;
  private final long[] deniedByKey;
  private long allowedCount;
  private long delayedCount;
  private long deniedCount;

  ReplayResult(Policy policy, EventLog log) {
    this.policy = policy;
    this.log = log;
    this.allowed = new boolean[log.size()];
    this.waitNanos = new long[log.size()];
    this.deniedByKey = new long[log.distinctKeys()];
  }

  void record(int event, Decision decision) {
    allowed[event] = decision.allowed();
    if (decision.allowed()) {
      waitNanos[event] = decision.delayNanos();
      if (decision.delayNanos() > 0) {
        delayedCount++;
      } else {
        allowedCount++;
      }
    } else {
      waitNanos[event] = decision.retryAfterNanos();
      deniedByKey[log.keyId(event)]++;
      deniedCount++;
    }
  }

  /** Returns the counts of the replay and the {@value #TOP_KEYS} keys with the most denials. */
  public ReplaySummary summary() {
    return new ReplaySummary(
        policy,
        log.keyMode(),
        log.lines(),
        log.size(),
        log.malformed(),
        log.firstMalformedLines(),
        log.distinctKeys(),
        allowedCount,
        delayedCount,
        deniedCount,
        topDeniedKeys());
  }

  /**
   * Writes one CSV row per event in input-line order, after the header
   * {@code line,key,allowed,delay_ms,retry_after_ms}; see {@link DecisionsCsv}.
   *
   * @throws IOException if writing fails
   */
  public void writeDecisionsCsv(Writer out) throws IOException {
    DecisionsCsv.writeHeader(out);
    for (int event = 0; event < log.size(); event++) {
      DecisionsCsv.writeRow(
          out, log.lineNumber(event), log.key(log.keyId(event)), allowed[event], waitNanos[event]);
    }
  }

  /** Keys with at least one denial, most denials first, ties by key in code point order. */
  private List<ReplaySummary.KeyDenials> topDeniedKeys() {
    List<ReplaySummary.KeyDenials> denied = new ArrayList<>();
    for (int keyId = 0; keyId < deniedByKey.length; keyId++) {
      if (deniedByKey[keyId] > 0) {
        denied.add(new ReplaySummary.KeyDenials(log.key(keyId), deniedByKey[keyId]));
      }
    }
    denied.sort(Comparator.comparingLong(ReplaySummary.KeyDenials::denied).reversed()
        .thenComparing(ReplaySummary.KeyDenials::key));
    return List.copyOf(denied.subList(0, Math.min(TOP_KEYS, denied.size())));
  }
}
