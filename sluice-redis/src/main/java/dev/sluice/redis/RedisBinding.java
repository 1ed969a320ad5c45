package dev.sluice.redis;

import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.TimeSource;
import dev.sluice.internal.Readings;
import dev.sluice.store.PolicyBinding;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A policy bound to a {@link RedisStore}. Each decision is one script call, or is made by the
 * store's {@link FailureMode} when Redis fails, times out, or the circuit breaker is open.
 */
final class RedisBinding implements PolicyBinding {

  private static final int HEADER_ARGS = 4;
  private static final int LIMIT_ARGS = 5;
  private static final int REPLY_VALUES = 6;

  /** The maximum number of requests of one key that one call decides. */
  static final int MAX_BATCH = 64;

  /**
   * The maximum number of calls in flight for one key, among which the requests that waited
   * are split. Several keep Redis busy while replies travel back. On one hot key from 8
   * threads (RedisStoreBenchmark), 4 made 51,000 to 53,000 decisions per second, 2 and 3
   * 47,000 to 50,000 with less CPU time per decision, and sending every request alone 45,000
   * to 48,000.
   */
  static final int MAX_CALLS = 4;


  private final Policy policy;
  private final DecisionScript script;
  private final String tagStart;
  private final TimeSource clientClock;
  private final String expire;
  private final String[] limitSuffixes;
  private final String[] limitArgs;
  private final FailureHandling failures;
  private final PolicyBinding local;
  /** The keys with a call in flight, and the requests that wait for it. */
  private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();

  /**
   * Creates a binding.
   *
   * @param clientClock the clock to send with each request, or null to use the server's TIME
   * @param local the binding that decides in {@link FailureMode#LOCAL}, or null in other modes
   */
  RedisBinding(
      Policy policy, DecisionScript script, String keyPrefix, TimeSource clientClock,
      boolean expireKeys, FailureHandling failures, PolicyBinding local) {
    this.policy = policy;
    this.failures = failures;
    this.local = local;
    this.script = script;
    this.tagStart = RedisKeys.tagStart(keyPrefix, policy.name());
    this.clientClock = clientClock;
    this.expire = expireKeys ? "1" : "0";
    List<Limit> limits = policy.limits();
    this.limitSuffixes = new String[limits.size()];
    this.limitArgs = new String[limits.size() * LIMIT_ARGS];
    for (int i = 0; i < limits.size(); i++) {
      Limit limit = limits.get(i);
      limitSuffixes[i] = RedisKeys.limitSuffix(limit.name(), limit.algorithm().configName());
      describe(limit, i * LIMIT_ARGS);
    }
  }

  private void describe(Limit limit, int offset) {
    limitArgs[offset] = limit.algorithm().configName();
    limitArgs[offset + 1] = Long.toString(limit.limit());
    limitArgs[offset + 2] = Long.toString(limit.periodNanos());
    limitArgs[offset + 3] = Long.toString(limit.burst());
    limitArgs[offset + 4] = limit.mode() == Mode.SHAPE ? "1" : "0";
  }

  @Override
  public Policy policy() {
    return policy;
  }

  /**
   * Decides on Redis and waits for the reply. Never throws for a Redis failure: the failure
   * mode decides instead, as {@link #tryAcquireAsync} does.
   *
   * @throws IllegalStateException when called on a thread of a Redis store, such as inside a
   *     dependent stage of {@link #tryAcquireAsync}: waiting there would block the thread that
   *     reads the reply, so every such decision would time out and fall to the failure mode
   */
  @Override
  public Decision tryAcquire(String key, long cost, long maxDelayNanos) {
    StoreThreads.requireBlockingAllowed();
    return tryAcquireAsync(key, cost, maxDelayNanos).toCompletableFuture().join();
  }

  /**
   * Decides on Redis without blocking. The stage never completes exceptionally for a Redis
   * failure or a timeout: it completes with a decision of the failure mode. Dependent stages
   * without an executor run on a Lettuce I/O thread, so blocking work belongs in an
   * {@code ...Async} stage. Waiting there for another decision's stage, as with {@code join()},
   * blocks the thread that would read its reply, so that decision times out. Cancelling the
   * stage does not withdraw the request: Redis may still charge it.
   *
   * <p>A request for a key with a call in flight waits for it to complete, and then goes with
   * the other requests of the key that waited, split among up to {@value #MAX_CALLS} calls of
   * up to {@value #MAX_BATCH} requests each. The script decides a call's requests in arrival
   * order. A hot key thus costs Redis a few calls per round trip rather than one per request,
   * and the decisions are those of the same requests sent one by one: at one reading of the
   * server's time per call, or in {@link TimeMode#CLIENT} at each request's own time of
   * arrival. A waiting request still gets its decision within the command timeout of its
   * arrival, because the call of a batch fails when its oldest request's timeout has passed.
   */
  @Override
  public CompletionStage<Decision> tryAcquireAsync(String key, long cost, long maxDelayNanos) {
    PolicyBinding.requireValidRequest(key, cost, maxDelayNanos);
    // The client clock is checked as the in-memory store checks its own: the script cannot
    // store a time before the epoch, and its sums near Long.MAX_VALUE would overflow.
    long clientNanos = clientClock == null ? 0 : Readings.nanos(clientClock);
    Breaker.Attempt attempt = failures.breaker().tryAttempt();
    if (attempt == Breaker.Attempt.SKIP) {
      return CompletableFuture.completedFuture(fallback(key, cost, maxDelayNanos));
    }
    Request request =
        new Request(cost, maxDelayNanos, attempt, System.nanoTime(), clientNanos);
    while (true) {
      Lane lane = lanes.get(key);
      if (lane == null) {
        Lane started = new Lane(key);
        lane = lanes.putIfAbsent(key, started);
        if (lane == null) {
          lane = started;
        }
      }
      Call call = lane.submit(request);
      if (call == Call.SENT_LATER) {
        return request.decision;
      }
      if (call != Call.RETIRED_LANE) {
        awaitReply(key, lane, call);
        return request.decision;
      }
    }
  }

  /** Decides a call's requests when its reply comes; see {@link #completed}. */
  private void awaitReply(String key, Lane lane, Call call) {
    if (call.reply().isDone()) {
      completed(key, lane, call);
    } else {
      call.reply().whenComplete((values, error) -> completed(key, lane, call));
    }
  }

  /**
   * Sends the key's next batches in place of a completed call, then decides its requests, so
   * that callers' dependent stages do not delay the next batches. A call that completed as it
   * was sent, such as one Lettuce rejected while disconnected, is handled in this loop rather
   * than by a nested call, so that a long queue of waiting requests cannot overflow the stack.
   * Requests whose timeout passed while they waited are decided by the failure mode.
   */
  private void completed(String key, Lane lane, Call first) {
    ArrayDeque<Call> done = new ArrayDeque<>();
    done.add(first);
    List<Request> repeated = new ArrayList<>();
    while (!done.isEmpty()) {
      Call call = done.poll();
      noteLastDenial(lane, call);
      repeated.clear();
      for (Call next : lane.next(repeated)) {
        if (next.reply() == null) {
          for (Request request : next.batch()) {
            request.decision.complete(fallback(key, request.cost, request.maxDelayNanos));
          }
        } else if (next.reply().isDone()) {
          done.add(next);
        } else {
          next.reply().whenComplete((values, error) -> completed(key, lane, next));
        }
      }
      call.reply().handle((values, error) -> {
        decide(key, lane, call.batch(), values, error);
        return null;
      });
      for (Request request : repeated) {
        request.decision.complete(request.repeatedDenial);
      }
    }
  }

  /**
   * Gives the lane the last denial in a call's reply that waiting requests may repeat: one made
   * by Redis with a retry after above 0 and not {@link Decision#NEVER}, of a request with a cost
   * above 0.
   */
  private void noteLastDenial(Lane lane, Call call) {
    List<Object> values = call.reply().isCompletedExceptionally()
        ? null
        : call.reply().getNow(null);
    List<Request> batch = call.batch();
    if (values == null || values.size() != REPLY_VALUES * batch.size()) {
      return;
    }
    for (int i = batch.size() - 1; i >= 0; i--) {
      int at = i * REPLY_VALUES;
      Request request = batch.get(i);
      if (number(values, at) == 0) {
        long retryAfter = number(values, at + 3);
        if (request.cost > 0 && retryAfter > 0 && retryAfter != Decision.NEVER) {
          lane.denied(request, toDecision(values, at));
        }
        return;
      }
    }
  }

  /**
   * Sends one call for a batch of one key's requests. A batch that waited fails at the
   * deadline of its oldest request, {@code withinNanos} from now; otherwise the connection's
   * timeout applies, for {@code withinNanos} of -1.
   */
  private CompletableFuture<List<Object>> dispatch(
      String key, List<Request> batch, long withinNanos) {
    try {
      String[] keys = keysOf(key);
      String[] args = argsOf(batch);
      return withinNanos < 0
          ? script.run(keys, args, failures.commandTimeout())
          : script.runWithin(keys, args, withinNanos);
    } catch (RuntimeException rejected) {
      return CompletableFuture.failedFuture(rejected);
    }
  }

  /** Completes each request of a batch from the call's reply or failure. */
  private void decide(
      String key, Lane lane, List<Request> batch, List<Object> values, Throwable error) {
    Breaker.Attempt attempt = batch.get(0).attempt;
    for (Request request : batch) {
      if (request.attempt == Breaker.Attempt.PROBE) {
        attempt = Breaker.Attempt.PROBE;
      }
    }
    if (error != null) {
      failBatch(key, lane, batch, error, attempt);
      return;
    }
    Decision[] decisions = new Decision[batch.size()];
    try {
      if (values == null || values.size() != REPLY_VALUES * batch.size()) {
        throw new IllegalStateException("decision script returned " + values + ", expected "
            + REPLY_VALUES * batch.size() + " values");
      }
      for (int i = 0; i < decisions.length; i++) {
        decisions[i] = toDecision(values, i * REPLY_VALUES);
      }
    } catch (RuntimeException malformed) {
      failures.breaker().recordFailure(malformed);
      for (Request request : batch) {
        request.decision.complete(fallback(key, request.cost, request.maxDelayNanos));
      }
      return;
    }
    failures.breaker().recordSuccess(attempt);
    for (int i = 0; i < decisions.length; i++) {
      batch.get(i).decision.complete(decisions[i]);
    }
  }

  /**
   * Decides a failed call's requests by the failure mode, except those that repeat the key's
   * last denial by Redis (see {@link Lane#repeat}). An error about the key's stored data
   * counts as a reply of a working Redis for the breaker, so that one damaged key does not
   * make every key fall back.
   */
  private void failBatch(String key, Lane lane, List<Request> batch, Throwable error,
      Breaker.Attempt attempt) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
    boolean keyError = Breaker.isKeyError(cause);
    if (keyError) {
      failures.breaker().recordKeyError(attempt, String.join(" ", keysOf(key)), cause);
    } else {
      failures.breaker().recordFailure(cause);
    }
    for (Request request : batch) {
      Decision repeated = keyError ? null : lane.repeat(request);
      // A key error's decisions are not counted among an outage's: Redis works, and a later
      // recovery line would report this key's decisions as the outage's.
      request.decision.complete(repeated != null
          ? repeated
          : keyError
              ? byFailureMode(key, request.cost, request.maxDelayNanos)
              : fallback(key, request.cost, request.maxDelayNanos));
    }
  }

  /**
   * Returns the script's arguments for a batch: the first request's time, cost and longest
   * delay, the limits', then the cost, longest delay and time of each further request. The
   * time is the client clock's reading when the request arrived, or empty for the server's.
   */
  private String[] argsOf(List<Request> batch) {
    int extra = 3 * (batch.size() - 1);
    String[] args = new String[HEADER_ARGS + limitArgs.length + extra];
    Request first = batch.get(0);
    args[0] = timeOf(first);
    args[1] = Long.toString(first.cost);
    args[2] = Long.toString(first.maxDelayNanos);
    args[3] = expire;
    System.arraycopy(limitArgs, 0, args, HEADER_ARGS, limitArgs.length);
    int at = HEADER_ARGS + limitArgs.length;
    for (int i = 1; i < batch.size(); i++) {
      Request request = batch.get(i);
      args[at++] = Long.toString(request.cost);
      args[at++] = Long.toString(request.maxDelayNanos);
      args[at++] = timeOf(request);
    }
    return args;
  }

  private String timeOf(Request request) {
    return clientClock == null ? "" : Long.toString(request.clientNanos);
  }

  /** Decides by the failure mode and counts the decision for the breaker's recovery line. */
  private Decision fallback(String key, long cost, long maxDelayNanos) {
    failures.breaker().countFallback();
    return byFailureMode(key, cost, maxDelayNanos);
  }

  /**
   * Decides by the failure mode; see {@link FailureMode}. In every mode, a request whose cost
   * exceeds what a limit of the policy can ever admit is denied with {@link Decision#NEVER},
   * naming that limit, as Redis would have denied it, because that decision does not depend on
   * the key's state. In {@code LOCAL}, a cost that exceeds only this instance's share may pass
   * once Redis is back, so it is denied with a retry after of the probe interval.
   */
  private Decision byFailureMode(String key, long cost, long maxDelayNanos) {
    Limit exceeded = firstLimitBelow(cost);
    long untilProbe = failures.probeInterval().toNanos();
    Decision.Source source = switch (failures.mode()) {
      case ALLOW -> Decision.Source.FAILED_OPEN;
      case DENY -> Decision.Source.FAILED_CLOSED;
      case LOCAL -> Decision.Source.LOCAL_FALLBACK;
    };
    if (exceeded != null) {
      // A failed-open decision reports no reset after; the others wait for the probe.
      long resetAfter = source == Decision.Source.FAILED_OPEN ? 0 : untilProbe;
      return Decision.deny(exceeded.name(), exceeded.limit(), 0, resetAfter, Decision.NEVER)
          .withSource(source);
    }
    if (source == Decision.Source.LOCAL_FALLBACK) {
      Decision decision = local.tryAcquire(key, cost, maxDelayNanos);
      if (decision.costExceedsLimit()) {
        decision = Decision.deny(decision.limitName(), decision.limit(), decision.remaining(),
            decision.resetAfterNanos(), untilProbe);
      }
      return decision.withSource(source);
    }
    Limit first = policy.limits().get(0);
    if (source == Decision.Source.FAILED_OPEN) {
      return Decision.allow(first.name(), first.limit(), 0, 0, 0).withSource(source);
    }
    // The reset after is the retry after, so that a client reading either waits for the probe.
    return Decision.deny(first.name(), first.limit(), 0, untilProbe, untilProbe)
        .withSource(source);
  }

  /** Returns the first limit of the policy that can never admit {@code cost}, or null. */
  private Limit firstLimitBelow(long cost) {
    for (Limit limit : policy.limits()) {
      if (cost > limit.burst()) {
        return limit;
      }
    }
    return null;
  }

  /** Returns the Redis key of every limit for a user key, in the policy's order. */
  String[] keysOf(String key) {
    String tag = RedisKeys.tag(tagStart, key);
    String[] keys = new String[limitSuffixes.length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = tag + limitSuffixes[i];
    }
    return keys;
  }

  /**
   * Maps one request's values of the script's reply, from {@code at}: allowed, remaining,
   * reset after, retry after, delay, index of the deciding limit.
   */
  private Decision toDecision(List<Object> reply, int at) {
    Limit decider = policy.limits().get(Math.toIntExact(number(reply, at + 5)));
    long remaining = number(reply, at + 1);
    long resetAfter = number(reply, at + 2);
    if (number(reply, at) == 1) {
      return Decision.allow(decider.name(), decider.limit(), remaining, resetAfter,
          number(reply, at + 4));
    }
    return Decision.deny(decider.name(), decider.limit(), remaining, resetAfter,
        number(reply, at + 3));
  }

  private static long number(List<Object> reply, int index) {
    Object value = reply.get(index);
    return value instanceof Long number ? number : Long.parseLong(value.toString());
  }

  /** A request on its way to Redis. */
  private static final class Request {
    final long cost;
    final long maxDelayNanos;
    final Breaker.Attempt attempt;
    /** The arrival time on {@link System#nanoTime}, for the request's deadline. */
    final long arrivalNanos;
    /** The client clock's reading at arrival, sent as the request's time in client mode. */
    final long clientNanos;
    final CompletableFuture<Decision> decision = new StoreStage<>();
    /** The denial that {@link Lane#next} repeated for this request, instead of the failure mode. */
    Decision repeatedDenial;

    Request(long cost, long maxDelayNanos, Breaker.Attempt attempt, long arrivalNanos,
        long clientNanos) {
      this.cost = cost;
      this.maxDelayNanos = maxDelayNanos;
      this.attempt = attempt;
      this.arrivalNanos = arrivalNanos;
      this.clientNanos = clientNanos;
    }
  }

  /**
   * A call sent for a batch of requests, whose reply its sender awaits outside the lane's lock,
   * or a batch whose timeout passed before it was sent (no reply).
   */
  private record Call(List<Request> batch, CompletableFuture<List<Object>> reply) {
    /** A request that waits for a call in flight. */
    static final Call SENT_LATER = new Call(List.of(), null);
    /** A request that found the lane retired, and must look up the key again. */
    static final Call RETIRED_LANE = new Call(List.of(), null);
  }

  /**
   * The calls in flight for one key, and the requests that wait for one of them to complete.
   * Only the first request of an idle key is sent by its caller. The thread that completes a
   * call, Lettuce's I/O thread, sends the others, so that they reach Redis in the order they
   * arrived. Calls sent from different threads could overtake each other, because Netty writes
   * a command from its I/O thread at once but queues one from another thread. A lane is
   * retired under its lock when its last call completes and no request waits. A request that
   * finds a retired lane in the map looks up the key again.
   */
  private final class Lane {
    private final String key;
    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    private int calls;
    private boolean retired;
    /** The request of the last denial that waiting requests may repeat, or null. */
    private Request deniedRequest;
    private Decision denial;

    Lane(String key) {
      this.key = key;
    }

    /** Sends a request alone when no call is in flight, or keeps it for a later batch. */
    synchronized Call submit(Request request) {
      if (retired) {
        return Call.RETIRED_LANE;
      }
      if (calls > 0) {
        waiting.add(request);
        return Call.SENT_LATER;
      }
      calls = 1;
      List<Request> batch = List.of(request);
      return new Call(batch, dispatch(key, batch, -1));
    }

    /** Remembers a denial by Redis of one of the lane's requests; see {@link #next}. */
    synchronized void denied(Request request, Decision decision) {
      deniedRequest = request;
      denial = decision;
    }

    /**
     * After a call completed, sends the waiting requests in up to {@link #MAX_CALLS} calls in
     * flight, split evenly, each of at most {@link #MAX_BATCH}. The lane is retired and
     * removed from the map when no call is left in flight.
     *
     * <p>A batch whose oldest request's timeout has passed is not sent. Its requests that
     * repeat the key's last denial (see {@link #repeat}) are added to {@code repeated} with
     * that denial, for the caller to complete outside the lock; the others go into a call
     * without a reply, for the failure mode.
     */
    synchronized List<Call> next(List<Request> repeated) {
      calls--;
      if (waiting.isEmpty()) {
        if (calls == 0) {
          retired = true;
          lanes.remove(key, this);
        }
        return List.of();
      }
      List<Call> sent = new ArrayList<>(MAX_CALLS);
      long timeoutNanos = failures.commandTimeout().toNanos();
      while (!waiting.isEmpty() && calls < MAX_CALLS) {
        int slots = MAX_CALLS - calls;
        int size = Math.min(MAX_BATCH, (waiting.size() + slots - 1) / slots);
        List<Request> batch = new ArrayList<>(size);
        while (batch.size() < size) {
          batch.add(waiting.poll());
        }
        // Written so that a timeout near Long.MAX_VALUE nanoseconds cannot overflow.
        long now = System.nanoTime();
        long leftNanos = timeoutNanos - (now - batch.get(0).arrivalNanos);
        if (leftNanos <= 0) {
          List<Request> unanswered = new ArrayList<>(batch.size());
          for (Request request : batch) {
            request.repeatedDenial = repeatAt(request, now);
            (request.repeatedDenial == null ? unanswered : repeated).add(request);
          }
          if (!unanswered.isEmpty()) {
            sent.add(new Call(unanswered, null));
          }
          continue;
        }
        calls++;
        sent.add(new Call(batch, dispatch(key, batch, Math.min(leftNanos, timeoutNanos))));
      }
      if (calls == 0 && waiting.isEmpty()) {
        retired = true;
        lanes.remove(key, this);
      }
      return sent;
    }

    /**
     * Returns the key's last denial by Redis for a request that got no reply in time, or null
     * when the request does not repeat it. A request repeats it when it has the same
     * cost and maximum delay, is not a breaker's probe, and arrived while the denial's retry
     * after lasted. The denial then has its retry after and reset after counted down by the
     * time since the denied request arrived (by the client clock, in its time mode), and its
     * remaining. The rule is the deny cache's (see {@link DenyCache}) and holds for the same
     * reason: the request arrived later (one that arrived earlier is never given it), and what
     * other requests did meanwhile can only lengthen the wait. So a flood of requests on one
     * key, more than Redis can decide within the command timeout, is denied rather than
     * decided by the failure mode, once Redis has denied one of them. A request that gets
     * a reply in time gets Redis's decision, exactly.
     */
    synchronized Decision repeat(Request request) {
      return repeatAt(request, System.nanoTime());
    }

    private Decision repeatAt(Request request, long now) {
      if (denial == null || request.cost != deniedRequest.cost
          || request.maxDelayNanos != deniedRequest.maxDelayNanos
          || request.attempt == Breaker.Attempt.PROBE) {
        return null;
      }
      // Calls can overtake each other after a timeout, so a request that arrived before the
      // denied one, for which the denial need not hold, can still be waiting.
      if (request.arrivalNanos < deniedRequest.arrivalNanos
          || request.clientNanos < deniedRequest.clientNanos) {
        return null;
      }
      long elapsed = clientClock == null
          ? now - deniedRequest.arrivalNanos
          : request.clientNanos - deniedRequest.clientNanos;
      if (elapsed >= denial.retryAfterNanos()) {
        return null;
      }
      return DenyCache.countedDown(denial, elapsed);
    }
  }
}
