package dev.sluice.server.replay;

import dev.sluice.Decision;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.PolicyBinding;
import java.io.IOException;
import java.io.Reader;
import java.util.Objects;

/**
 * Replays an access log through a policy: each event is a request of cost 1 on its key, decided
 * at the time of its timestamp on a virtual clock, in time order.
 *
 * <p>Events of the same second happen at the same instant, in input-line order. The store keeps
 * every key however many there are, so that no eviction changes a decision, and is cleaned up
 * every {@value #CLEAN_UP_INTERVAL} events, so that keys back to their initial state are dropped
 * and memory stays flat. A shaped request is counted as delayed but still decided at its own
 * timestamp, as a shaping limiter that admits it would do.
 *
 * <pre>{@code
 * Policy policy = Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofMinutes(1)));
 * ReplayResult result = new LogReplayer(policy, KeyMode.CLIENT).replay(reader);
 * System.out.print(result.summary().toText());
 * }</pre>
 */
public final class LogReplayer {

  /** How many events are decided between two clean-ups of the store. */
  static final int CLEAN_UP_INTERVAL = 10_000;

  private final Policy policy;
  private final KeyMode keyMode;

  public LogReplayer(Policy policy, KeyMode keyMode) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.keyMode = Objects.requireNonNull(keyMode, "keyMode");
  }

  /**
   * Reads the whole log and decides every event. A line longer than 65,536 characters is
   * malformed; it is skipped without being kept in memory.
   *
   * @throws IOException if reading fails
   * @throws IllegalArgumentException if the log has more than {@link Integer#MAX_VALUE} lines
   */
  public ReplayResult replay(Reader reader) throws IOException {
    EventLog log = EventLog.read(reader, keyMode);
    return decide(log);
  }

  private ReplayResult decide(EventLog log) {
    VirtualClock clock = new VirtualClock();
    InMemoryStore store =
        InMemoryStore.builder().timeSource(clock).maxKeys(Long.MAX_VALUE).build();
    PolicyBinding binding = store.bind(policy);
    ReplayResult result = new ReplayResult(policy, log);

    int[] order = log.timeOrder();
    for (int n = 0; n < order.length; n++) {
      int event = order[n];
      clock.advanceTo(log.time(event));
      Decision decision = binding.tryAcquire(log.key(log.keyId(event)), 1, Long.MAX_VALUE);
      result.record(event, decision);
      if ((n + 1) % CLEAN_UP_INTERVAL == 0) {
        store.cleanUp();
      }
    }
    return result;
  }
}
