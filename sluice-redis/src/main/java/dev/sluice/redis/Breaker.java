package dev.sluice.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * The circuit breaker of a {@link RedisStore}: after a run of failed calls it stops calling
 * Redis, so that a dead server costs one timeout per probe interval instead of one per request.
 *
 * <p>Closed, every decision calls Redis. It counts consecutive failed calls, and any successful
 * call sets the count back to 0. It opens only when the count has reached the failure
 * threshold and the run of failures has lasted the failure duration, measured from the first
 * failed call of the run. A stall of the client, such as a garbage collection pause or a
 * process starved of CPU, makes the calls in flight time out, and the replies that follow
 * succeed. Such a burst costs only the decisions in flight, which the failure mode decides,
 * and not a whole probe interval of them. A dead or unreachable Redis
 * fails every call, so the run lasts. The failure that opens it logs one WARNING that names
 * the store's failure mode, how many bound policies use each mode, the threshold, how long
 * calls have failed, and the error's class and message. Other failed calls log each at DEBUG.
 * The
 * WARNING carries the stack trace only for an unexpected error (see {@link #isExpected}), so
 * an outage logs at most one. Open, it lets one decision per probe interval call Redis as a
 * probe, and each policy's failure mode decides all others at once. A probe that succeeds
 * closes it and logs one INFO line with the length of the outage, counted from the first
 * failed call of the run, and the number of decisions made by each failure mode. Only a probe
 * can close it: a reply to a call sent before it opened proves nothing about the server now.
 *
 * <p>Failures that never open it, such as calls to one dead master of a Redis Cluster among
 * calls to live ones, or a burst of timeouts under load, log one WARNING summary at most once
 * per {@value #SUMMARY_INTERVAL_SECONDS} s: the decisions that failure modes made in runs of
 * failed calls that ended without opening the breaker, counted by mode, and the last error.
 * A run's decisions join the summary when a successful call ends the run. The line is written
 * by the first successful call after the interval has passed, so with no traffic it waits for
 * the next request. Nothing is logged when no such decision was made. The decisions of a run
 * that opened the breaker are counted in its recovery line instead.
 *
 * <p>With a threshold of 3 and a duration of 500 ms, a dead Redis costs the calls that fail in
 * its first 500 ms, at least 3, then one probe per interval. Calls complete concurrently on
 * Lettuce's threads, and "consecutive" means in the order in which their replies or failures
 * arrive.
 *
 * <p>All bindings of a store share one breaker through views made by {@link #forPolicy}, which
 * differ only in the failure mode that their {@link #countFallback()} counts for. A policy is
 * counted under its name with the mode of its latest binding, and stays counted after the
 * service stops using it, such as when a config reload removes it, because a binding is never
 * released.
 *
 * <p>The state is an immutable snapshot replaced by compare-and-set, so threads never block.
 */
final class Breaker {

  /** The choice of a decision between calling Redis and the failure mode. */
  enum Attempt {
    /** Decide by the failure mode without calling Redis. */
    SKIP,
    /** Call Redis; the breaker is closed. */
    CALL,
    /** Call Redis as the one probe of this interval; the breaker is open. */
    PROBE
  }

  /**
   * A snapshot of the breaker. While closed, {@code failedCalls} counts the consecutive failed
   * calls, and {@code failingSinceNanos} is the time of the first of them, which becomes the
   * start of the outage when the breaker opens. {@code nextProbeAtNanos} is used only while
   * open.
   */
  private record State(
      boolean open, int failedCalls, long failingSinceNanos, long nextProbeAtNanos) {

    State afterFailedCall(long now) {
      // Saturates, so that a threshold of Integer.MAX_VALUE never wraps the count around to 0.
      int count = failedCalls == Integer.MAX_VALUE ? failedCalls : failedCalls + 1;
      return new State(false, count, failedCalls == 0 ? now : failingSinceNanos, 0);
    }

    State opened(long nextProbeAtNanos) {
      return new State(true, failedCalls, failingSinceNanos, nextProbeAtNanos);
    }
  }

  /** The state and counters of one store, shared by all views of its breaker. */
  private static final class Shared {
    final AtomicReference<State> state = new AtomicReference<>(CLOSED);
    final AtomicLong attempts = new AtomicLong();
    final AtomicLong nextKeyErrorLogNanos;
    /** The failure-mode decisions of the run of failed calls in progress, or of the outage. */
    final Map<FailureMode, AtomicLong> fallbacks = new EnumMap<>(FailureMode.class);
    /** The failure-mode decisions of ended runs that did not open the breaker, not yet logged. */
    final Map<FailureMode, AtomicLong> unreported = new EnumMap<>(FailureMode.class);
    /** The sum of {@link #unreported}, read by every successful call. */
    final AtomicLong unreportedTotal = new AtomicLong();
    /** The error of the last failed call that left the breaker closed, for the summary. */
    final AtomicReference<Throwable> lastClosedError = new AtomicReference<>();
    /** The error of the last failed call or key error, whatever the state. */
    final AtomicReference<Throwable> lastError = new AtomicReference<>();
    final AtomicLong nextSummaryLogNanos;
    /** The message of the exception that decisions throw once the store is closed, or null. */
    volatile String closedMessage;
    final Map<String, FailureMode> policyModes = new ConcurrentHashMap<>();
    final LongSupplier clock;
    final long probeIntervalNanos;
    final int failureThreshold;
    final long failureDurationNanos;
    final String description;

    Shared(LongSupplier clock, long probeIntervalNanos, int failureThreshold,
        long failureDurationNanos, String description) {
      this.clock = clock;
      this.probeIntervalNanos = probeIntervalNanos;
      this.failureThreshold = failureThreshold;
      this.failureDurationNanos = failureDurationNanos;
      this.nextKeyErrorLogNanos = new AtomicLong(clock.getAsLong());
      this.nextSummaryLogNanos = new AtomicLong(clock.getAsLong());
      this.description = description;
      for (FailureMode mode : FailureMode.values()) {
        fallbacks.put(mode, new AtomicLong());
        unreported.put(mode, new AtomicLong());
      }
    }
  }

  private static final State CLOSED = new State(false, 0, 0, 0);
  /** The minimum time between two summaries of failures that left the breaker closed. */
  static final int SUMMARY_INTERVAL_SECONDS = 10;
  private static final long SUMMARY_INTERVAL_NANOS = SUMMARY_INTERVAL_SECONDS * 1_000_000_000L;
  private static final int MAX_CAUSE_DEPTH = 16;
  private static final Set<String> DISCONNECTION_MESSAGES = Set.of(
      "Connection closed",
      "Connection disconnected",
      "Currently not connected. Commands are rejected.");
  private static final Logger LOG = System.getLogger(RedisStore.class.getName());
  // Error codes of replies about the server, which a script error can carry from a command.
  /**
   * The start of the error of a command that the script called but the ACL user may not run,
   * or whose keys it may not use, as Redis 7.0.15 writes it.
   */
  private static final String SCRIPT_ACL_DENIAL = "The user executing the script can't";
  private static final List<String> SERVER_ERRORS = List.of("READONLY", "OOM", "NOPERM",
      "LOADING", "BUSY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS", "MISCONF");

  private final Shared shared;
  private final FailureMode mode;

  /**
   * Creates a closed breaker whose own fallbacks count for the store's failure mode.
   *
   * @param clock a monotonic clock in nanoseconds, such as {@code System::nanoTime}
   * @param failureThreshold the number of consecutive failed calls that opens the breaker, at
   *     least 1
   * @param failureDurationNanos how long before a failed call the first failed call of its run
   *     must have come for the call to open the breaker, at least 0
   * @param description the store as named in log lines, without secrets, such as
   *     {@code uri=redis://127.0.0.1:6379/0 on_failure=allow}
   * @param storeMode the failure mode of policies bound without one of their own
   */
  Breaker(LongSupplier clock, long probeIntervalNanos, int failureThreshold,
      long failureDurationNanos, String description, FailureMode storeMode) {
    this(new Shared(clock, probeIntervalNanos, failureThreshold, failureDurationNanos,
        description), storeMode);
  }

  /** Creates a closed breaker that opens on the count of consecutive failed calls alone. */
  Breaker(LongSupplier clock, long probeIntervalNanos, int failureThreshold, String description,
      FailureMode storeMode) {
    this(clock, probeIntervalNanos, failureThreshold, 0, description, storeMode);
  }

  private Breaker(Shared shared, FailureMode mode) {
    this.shared = shared;
    this.mode = mode;
  }

  /**
   * Returns a view of this breaker for a policy bound with a failure mode: it shares the state,
   * and its fallbacks count for that mode. Records the policy's mode for the WARNING line.
   */
  Breaker forPolicy(String policyName, FailureMode policyMode) {
    shared.policyModes.put(policyName, policyMode);
    return new Breaker(shared, policyMode);
  }

  /**
   * Decides whether this decision calls Redis, and counts the calls.
   *
   * @throws IllegalStateException if the store is closed
   */
  Attempt tryAttempt() {
    String closed = shared.closedMessage;
    if (closed != null) {
      throw new IllegalStateException(closed);
    }
    while (true) {
      State current = shared.state.get();
      if (!current.open()) {
        shared.attempts.incrementAndGet();
        return Attempt.CALL;
      }
      long now = shared.clock.getAsLong();
      if (now - current.nextProbeAtNanos() < 0) {
        return Attempt.SKIP;
      }
      State probing = current.opened(now + shared.probeIntervalNanos);
      if (shared.state.compareAndSet(current, probing)) {
        shared.attempts.incrementAndGet();
        return Attempt.PROBE;
      }
    }
  }

  /**
   * Closes the breaker after a successful probe, or sets the count of failed calls back to 0
   * after any successful call while closed.
   */
  void recordSuccess(Attempt attempt) {
    while (true) {
      State current = shared.state.get();
      if (current.open() ? attempt != Attempt.PROBE : current.failedCalls() == 0) {
        if (shared.unreportedTotal.get() > 0) {
          logSummaryIfDue();
        }
        return;
      }
      if (shared.state.compareAndSet(current, CLOSED)) {
        logSuccessAfter(current);
        return;
      }
    }
  }

  /**
   * Counts a failed call, and opens the breaker when the count reaches the failure threshold.
   * A failure while open, such as of a probe or of a call sent before it opened, changes
   * nothing: the next probe is already due one interval after the last.
   */
  void recordFailure(Throwable error) {
    shared.lastError.set(error);
    while (true) {
      State current = shared.state.get();
      if (current.open()) {
        return;
      }
      long now = shared.clock.getAsLong();
      State failed = current.afterFailedCall(now);
      boolean opens = failed.failedCalls() >= shared.failureThreshold
          && now - failed.failingSinceNanos() >= shared.failureDurationNanos;
      State next = opens ? failed.opened(now + shared.probeIntervalNanos) : failed;
      if (shared.state.compareAndSet(current, next)) {
        if (!opens) {
          shared.lastClosedError.set(error);
        }
        logFailure(next, error);
        return;
      }
    }
  }

  private void logSuccessAfter(State failing) {
    long outageNanos = shared.clock.getAsLong() - failing.failingSinceNanos();
    if (failing.open()) {
      LOG.log(Level.INFO, "Redis store recovered " + shared.description + " outage_ms="
          + outageNanos / 1_000_000 + " " + takeFallbackCounts());
      return;
    }
    // The failed calls of a run that ended below the threshold are no outage: their fallbacks
    // go to the summary instead of the count of the next outage.
    Map<FailureMode, Long> fallbacks = take(shared.fallbacks);
    long total = 0;
    for (Map.Entry<FailureMode, Long> entry : fallbacks.entrySet()) {
      shared.unreported.get(entry.getKey()).addAndGet(entry.getValue());
      total += entry.getValue();
    }
    shared.unreportedTotal.addAndGet(total);
    if (LOG.isLoggable(Level.DEBUG)) {
      LOG.log(Level.DEBUG, "Redis store call succeeded " + shared.description + " failed_calls="
          + failing.failedCalls() + " failure_threshold=" + shared.failureThreshold
          + " failing_ms=" + outageNanos / 1_000_000 + " " + formatCounts(fallbacks));
    }
    logSummaryIfDue();
  }

  /**
   * Logs the failure-mode decisions of runs that ended without opening the breaker, and resets
   * their count, unless a summary was logged less than the summary interval ago. A closed store
   * logs none: closing it fails the calls in flight on purpose.
   */
  private void logSummaryIfDue() {
    if (shared.closedMessage != null) {
      return;
    }
    long now = shared.clock.getAsLong();
    long next = shared.nextSummaryLogNanos.get();
    if (now - next < 0 || shared.unreportedTotal.get() == 0
        || !shared.nextSummaryLogNanos.compareAndSet(next, now + SUMMARY_INTERVAL_NANOS)) {
      return;
    }
    Map<FailureMode, Long> counts = take(shared.unreported);
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    shared.unreportedTotal.addAndGet(-total);
    Throwable error = shared.lastClosedError.getAndSet(null);
    LOG.log(Level.WARNING, "Redis store calls failed while the breaker stayed closed "
        + shared.description + " " + formatCounts(counts) + " last_error=\""
        + (error == null ? "none" : describe(error)) + "\"; the failure mode decided these"
        + " requests since the last such line, which is logged at most once per "
        + SUMMARY_INTERVAL_SECONDS + " s" + (error == null ? "" : permissionAdvice(error)));
  }

  /** Returns what to grant when the error is an ACL denial, or an empty string. */
  private static String permissionAdvice(Throwable error) {
    return isPermissionError(error)
        ? "; the Redis ACL user of the URI lacks a permission that the store needs, so grant"
            + " it the store's keys and the commands " + RedisStore.aclCommands()
        : "";
  }

  private void logFailure(State failed, Throwable error) {
    if (!failed.open()) {
      if (LOG.isLoggable(Level.DEBUG)) {
        LOG.log(Level.DEBUG, "Redis store call failed " + shared.description + " failed_calls="
            + failed.failedCalls() + " failure_threshold=" + shared.failureThreshold
            + " error=\"" + describe(error) + "\"", isExpected(error) ? null : error);
      }
      return;
    }
    String message = "Redis store failed " + shared.description
        + " policies_on_failure=" + countPoliciesByMode() + " probe_interval_ms="
        + shared.probeIntervalNanos / 1_000_000 + " failure_threshold="
        + shared.failureThreshold + " failing_ms="
        + (shared.clock.getAsLong() - failed.failingSinceNanos()) / 1_000_000
        + " error=\"" + describe(error) + "\";"
        + " each policy decides by its failure mode until a probe succeeds"
        + permissionAdvice(error);
    if (isExpected(error)) {
      LOG.log(Level.WARNING, message);
    } else {
      LOG.log(Level.WARNING, message, error);
    }
  }

  /**
   * Records an error reply about one key's stored data (see {@link #isKeyError}). Redis
   * replied, so for the breaker the call succeeded: it ends a run of failed calls and closes
   * an open breaker if it was the probe. The failure mode decides the request all the same. A
   * WARNING names the decision's keys, one of which contains the damaged state, and the error,
   * at most once per probe interval for all keys, so that an operator can find and delete it.
   */
  void recordKeyError(Attempt attempt, String keys, Throwable error) {
    shared.lastError.set(error);
    recordSuccess(attempt);
    long now = shared.clock.getAsLong();
    long next = shared.nextKeyErrorLogNanos.get();
    if (now - next >= 0
        && shared.nextKeyErrorLogNanos.compareAndSet(next, now + shared.probeIntervalNanos)) {
      LOG.log(Level.WARNING, "Redis store failed to read a stored state " + shared.description
          + " keys=\"" + keys.replace("\\", "\\\\").replace("\"", "\\\"") + "\" error=\""
          + describe(error) + "\"; one of these keys holds a state the store cannot read, so the"
          + " failure mode decides their requests until it is deleted or expires; such errors"
          + " are logged at most once per probe interval");
    }
  }

  /**
   * Returns whether an error is a reply about one key's stored data rather than about Redis:
   * a key of the wrong type, or the decision script failing on a stored value that it cannot
   * read. Replies meaning that the server cannot serve writes now (a replica, out of memory,
   * loading, busy, cluster down) are not, nor is an ACL denial of a command or key, which
   * Redis 7 reports from inside the script.
   */
  static boolean isKeyError(Throwable error) {
    Throwable cause = error;
    for (int depth = 0; cause != null && depth < MAX_CAUSE_DEPTH; depth++) {
      if (cause instanceof RedisCommandExecutionException) {
        String message = String.valueOf(cause.getMessage());
        if (SERVER_ERRORS.stream().anyMatch(message::contains)
            || message.contains(SCRIPT_ACL_DENIAL)) {
          return false;
        }
        return message.contains("WRONGTYPE") || message.contains("user_script");
      }
      cause = cause.getCause();
    }
    return false;
  }

  /**
   * Returns whether an error is Redis's reply that the ACL user may not run a command or use a
   * key: {@code NOPERM} for the {@code EVALSHA} itself, or the error of a command that the
   * script called, such as Redis 7.0's {@code ERR The user executing the script can't run this
   * command or subcommand script: ...}.
   */
  static boolean isPermissionError(Throwable error) {
    String message = replyOf(error);
    return message != null
        && (message.contains("NOPERM") || message.contains(SCRIPT_ACL_DENIAL));
  }

  /** Returns whether an error is Redis's {@code READONLY} reply of a read-only replica. */
  static boolean isReadOnlyError(Throwable error) {
    String message = replyOf(error);
    return message != null && message.contains("READONLY");
  }

  /** Returns the message of the first error reply among the error and its causes, or null. */
  private static String replyOf(Throwable error) {
    Throwable cause = error;
    for (int depth = 0; cause != null && depth < MAX_CAUSE_DEPTH; depth++) {
      if (cause instanceof RedisCommandExecutionException) {
        return String.valueOf(cause.getMessage());
      }
      cause = cause.getCause();
    }
    return null;
  }

  /** Returns the error of the last failed call or key error, or null; for the warm-up. */
  Throwable lastError() {
    return shared.lastError.get();
  }

  /**
   * Returns whether a failure is one that a slow, unreachable or unready Redis causes: a
   * timeout, a failure to connect, a lost connection, a command that Lettuce rejected while
   * disconnected, or a reply about the server's state or the ACL user's permissions, such as
   * {@code BUSY}, {@code READONLY} or {@code NOPERM}. Its stack trace would only show where
   * Lettuce noticed it, and the message names the reply. Any other failure, such as the
   * script's own error, is unexpected.
   */
  static boolean isExpected(Throwable error) {
    // The depth bound ends a cycle of causes, which Throwable does not prevent.
    Throwable cause = error;
    for (int depth = 0; cause != null && depth < MAX_CAUSE_DEPTH; depth++) {
      if (cause instanceof TimeoutException
          || cause instanceof RedisCommandTimeoutException
          || cause instanceof RedisConnectionException
          || cause instanceof IOException
          || isDisconnection(cause)) {
        return true;
      }
      if (cause instanceof RedisCommandExecutionException) {
        String message = String.valueOf(cause.getMessage());
        return SERVER_ERRORS.stream().anyMatch(message::startsWith)
            || message.contains(SCRIPT_ACL_DENIAL);
      }
      cause = cause.getCause();
    }
    return false;
  }

  /**
   * Returns whether an error is Lettuce's plain {@link RedisException} for a command failed by a
   * lost connection or rejected while disconnected. Lettuce 6.8 gives these no subclass, so the
   * messages are those of its {@code DefaultEndpoint}.
   */
  private static boolean isDisconnection(Throwable error) {
    return error.getClass() == RedisException.class
        && DISCONNECTION_MESSAGES.contains(String.valueOf(error.getMessage()));
  }

  /** Returns the class and message of an error on one line, with quotes escaped. */
  static String describe(Throwable error) {
    String text = error.getMessage() == null
        ? error.getClass().getName()
        : error.getClass().getName() + ": " + error.getMessage();
    return text.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("[\r\n]+", " ");
  }

  /** Counts a decision made by this view's failure mode, reported on recovery. */
  void countFallback() {
    shared.fallbacks.get(mode).incrementAndGet();
  }

  /** Makes every later {@link #tryAttempt} throw, with {@code message}, in all views. */
  void closeStore(String message) {
    shared.closedMessage = message;
  }

  boolean isOpen() {
    return shared.state.get().open();
  }

  /** Returns the consecutive failed calls counted while closed; for tests. */
  int failedCalls() {
    State current = shared.state.get();
    return current.open() ? 0 : current.failedCalls();
  }

  /** The number of decisions that called Redis, for tests. */
  long attempts() {
    return shared.attempts.get();
  }

  /**
   * Writes the bound policies per failure mode, such as {@code deny:1,allow:2}, in the order of
   * {@link FailureMode}; {@code none} before the first binding.
   */
  private String countPoliciesByMode() {
    Map<FailureMode, Long> counts = new EnumMap<>(FailureMode.class);
    shared.policyModes.values().forEach(m -> counts.merge(m, 1L, Long::sum));
    return byMode(counts);
  }

  /**
   * Writes and resets the decisions made by each failure mode since the last recovery, such as
   * {@code failure_mode_decisions=12 by_mode=deny:2,allow:10}, listing only modes that decided.
   */
  private String takeFallbackCounts() {
    return formatCounts(take(shared.fallbacks));
  }

  /** Resets the counters and returns the counts that were not 0, by mode. */
  private static Map<FailureMode, Long> take(Map<FailureMode, AtomicLong> counters) {
    Map<FailureMode, Long> counts = new EnumMap<>(FailureMode.class);
    for (Map.Entry<FailureMode, AtomicLong> entry : counters.entrySet()) {
      long count = entry.getValue().getAndSet(0);
      if (count > 0) {
        counts.put(entry.getKey(), count);
      }
    }
    return counts;
  }

  /** Writes counts by mode, such as {@code failure_mode_decisions=12 by_mode=deny:2,allow:10}. */
  private static String formatCounts(Map<FailureMode, Long> counts) {
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    return "failure_mode_decisions=" + total + " by_mode=" + byMode(counts);
  }

  private static String byMode(Map<FailureMode, Long> counts) {
    if (counts.isEmpty()) {
      return "none";
    }
    return counts.entrySet().stream()
        .map(e -> e.getKey().name().toLowerCase(Locale.ROOT) + ":" + e.getValue())
        .collect(Collectors.joining(","));
  }
}
