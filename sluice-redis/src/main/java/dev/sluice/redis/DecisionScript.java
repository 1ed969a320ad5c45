package dev.sluice.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.netty.util.Timeout;
import io.netty.util.Timer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The Lua script that decides a request, and how it is called.
 *
 * <p>The script is assembled from resource files in this package: the integer library, the
 * decision helpers, one file per algorithm, and the entry point. It is loaded once with
 * {@code SCRIPT LOAD} and then called by {@code EVALSHA} with the cached SHA-1, one round trip
 * per decision. When the server has lost its script cache (a restart, a failover, or
 * {@code SCRIPT FLUSH}), it replies {@code NOSCRIPT} without running anything, so loading the
 * script again and retrying once cannot charge a request twice.
 *
 * <p>Calls go through Lettuce's asynchronous API, so no thread waits for Redis.
 */
final class DecisionScript {

  private static final List<String> PARTS = List.of(
      "bigint.lua",
      "decision.lua",
      "token_bucket.lua",
      "fixed_window.lua",
      "gcra.lua",
      "sliding_window.lua",
      "sliding_log.lua",
      "decide.lua");

  private final String source;
  private volatile RedisScriptingAsyncCommands<String, String> commands;
  /** Sends {@code SCRIPT LOAD} of a source and completes with its SHA-1. */
  private volatile Function<String, CompletableFuture<String>> loader;
  private final Duration loadTimeout;
  private final Timer deadlines;
  /**
   * The retries that wait for the reload in progress after a {@code NOSCRIPT} reply, in order,
   * or null when no reload is in progress. Guarded by this.
   */
  private List<Consumer<Throwable>> waitingForReload;
  private volatile String sha;

  /**
   * Loads the script, waiting up to {@code loadTimeout}. The commands may be those of a
   * standalone or Sentinel connection, or of a Redis Cluster connection, which loads the script
   * on every master and sends each call to the master of its keys' slot. The timer fails the
   * calls of {@link #runWithin} at their own deadline.
   *
   * @throws io.lettuce.core.RedisException if Redis rejects the script or does not reply
   */
  DecisionScript(
      RedisScriptingAsyncCommands<String, String> commands, Duration loadTimeout, Timer deadlines) {
    this(commands, loaderOf(commands), loadTimeout, deadlines);
  }

  /**
   * Loads the script with {@code loader}, such as {@link #loadOnServingMasters} for a Redis
   * Cluster, and otherwise works as {@link #DecisionScript(RedisScriptingAsyncCommands,
   * Duration, Timer)}.
   */
  DecisionScript(RedisScriptingAsyncCommands<String, String> commands,
      Function<String, CompletableFuture<String>> loader, Duration loadTimeout, Timer deadlines) {
    this.commands = commands;
    this.loader = loader;
    this.loadTimeout = loadTimeout;
    this.deadlines = deadlines;
    this.source = assemble();
    this.sha = await(loader.apply(source), loadTimeout);
  }

  /**
   * Sends later calls, and reloads of the script, through {@code commands}, such as those of
   * the connection to a new master after a failover. Calls already sent keep their connection.
   */
  void use(RedisScriptingAsyncCommands<String, String> commands) {
    this.loader = loaderOf(commands);
    this.commands = commands;
  }

  private static Function<String, CompletableFuture<String>> loaderOf(
      RedisScriptingAsyncCommands<String, String> commands) {
    return source -> commands.scriptLoad(source).toCompletableFuture();
  }

  /**
   * Loads the script on each master of a Redis Cluster that serves slots and that the cluster
   * has not marked failed, and completes with its SHA-1 when at least one loaded it. A master
   * that could not be reached is left out. Lettuce's own {@code SCRIPT LOAD} on a cluster
   * connection goes to every master in the slot map and fails when one cannot be reached, such
   * as a dead master that the cluster still lists, without slots, after its replica took over.
   * A master left out replies {@code NOSCRIPT} once it serves slots, and that reloads the
   * script. A reply of Redis, such as an ACL denial, fails the load.
   */
  static CompletableFuture<String> loadOnServingMasters(
      StatefulRedisClusterConnection<String, String> cluster, String source) {
    List<CompletableFuture<String>> loads = new ArrayList<>();
    for (RedisClusterNode node : cluster.getPartitions()) {
      if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.hasNoSlots()
          && !node.is(RedisClusterNode.NodeFlag.FAIL)) {
        loads.add(cluster.getConnectionAsync(node.getNodeId())
            .thenCompose(connection -> connection.async().scriptLoad(source)));
      }
    }
    if (loads.isEmpty()) {
      return CompletableFuture.failedFuture(
          new RedisException("no master of the Redis Cluster serves slots"));
    }
    return CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new))
        .handle((ignored, error) -> loadedSha(loads));
  }

  /**
   * Returns the SHA-1 that the completed loads returned, or throws the first reply of Redis,
   * else the first failure to reach a master when none loaded the script.
   */
  private static String loadedSha(List<CompletableFuture<String>> loads) {
    String loaded = null;
    Throwable unreached = null;
    for (CompletableFuture<String> load : loads) {
      try {
        loaded = load.join();
      } catch (CompletionException | CancellationException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        if (cause instanceof RedisCommandExecutionException) {
          throw new CompletionException(cause);
        }
        if (unreached == null) {
          unreached = cause;
        }
      }
    }
    if (loaded == null) {
      throw new CompletionException(unreached);
    }
    return loaded;
  }

  /**
   * Runs the script, loading it again if the server no longer has it. The connection's
   * {@link #decisionTimeouts} fail the {@code EVALSHA} with a
   * {@link RedisCommandTimeoutException} when no reply came within {@code timeout}. After a
   * {@code NOSCRIPT} reply, the call waits for a reload and is sent again, once more for each
   * {@code NOSCRIPT}, within what is left of {@code timeout}. A call still in flight then is
   * cancelled, so that Lettuce does not send it again after a reconnect. The reload itself is
   * shared by every call that needs it, and runs on for up to the load timeout when they time
   * out, so that the calls after them find the script. Loading the 60 KB script took 2 to 7 ms
   * from a client in five runs on two shared cores, more than a command timeout of a few ms
   * leaves.
   */
  CompletableFuture<List<Object>> run(String[] keys, String[] args, Duration timeout) {
    long startNanos = System.nanoTime();
    CompletableFuture<List<Object>> call =
        commands.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
            .toCompletableFuture();
    return reloadIfMissing(call, keys, args, startNanos, timeout.toNanos());
  }

  /**
   * Runs the script as {@link #run} does, but fails the {@code EVALSHA} with a
   * {@link RedisCommandTimeoutException} after {@code timeoutNanos} when that comes before the
   * connection's timeout, for calls whose requests already waited for an earlier call.
   */
  CompletableFuture<List<Object>> runWithin(String[] keys, String[] args, long timeoutNanos) {
    long startNanos = System.nanoTime();
    CompletableFuture<List<Object>> call =
        commands.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
            .toCompletableFuture();
    if (deadlines != null && !call.isDone()) {
      // Completing the command, as Lettuce's own timeout does, also keeps Lettuce from sending
      // it again after a reconnect.
      Timeout expiry = deadlines.newTimeout(
          ignored -> call.completeExceptionally(new RedisCommandTimeoutException(
              "Decision timed out after " + timeoutNanos / 1_000 + " us, the part of the"
                  + " command timeout left after its requests waited for an earlier call")),
          Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
      call.whenComplete((values, error) -> expiry.cancel());
    }
    return reloadIfMissing(call, keys, args, startNanos, timeoutNanos);
  }

  /**
   * Returns the call's reply, or, after a {@code NOSCRIPT} reply, the reply of the same call
   * sent again once the script is loaded, within what is left of {@code timeoutNanos}.
   */
  private CompletableFuture<List<Object>> reloadIfMissing(CompletableFuture<List<Object>> call,
      String[] keys, String[] args, long startNanos, long timeoutNanos) {
    return call.exceptionallyCompose(error -> isNoScript(error)
        ? reloadAndRun(keys, args, timeoutNanos - (System.nanoTime() - startNanos))
        : CompletableFuture.failedFuture(error));
  }

  /**
   * Returns the timeouts of a connection that decides with this script: {@code EVALSHA} times
   * out after the value of {@code evalshaTimeoutNanos} when it is sent, so that a store can
   * start with a longer one. Other commands have no timeout of their own. Lettuce's timer
   * fails a command up to one tick of that timer late.
   */
  static TimeoutOptions decisionTimeouts(AtomicLong evalshaTimeoutNanos) {
    return TimeoutOptions.builder().timeoutSource(new TimeoutOptions.TimeoutSource() {
      @Override
      public long getTimeout(RedisCommand<?, ?, ?> command) {
        return command.getType() == CommandType.EVALSHA ? evalshaTimeoutNanos.get() : 0;
      }

      @Override
      public TimeUnit getTimeUnit() {
        return TimeUnit.NANOSECONDS;
      }
    }).build();
  }

  private CompletableFuture<List<Object>> reloadAndRun(
      String[] keys, String[] args, long remainingNanos) {
    CompletableFuture<List<Object>> reply = new CompletableFuture<>();
    AtomicReference<RedisFuture<?>> retry = new AtomicReference<>();
    afterReload(new Consumer<>() {
      @Override
      public void accept(Throwable reloadError) {
        if (reloadError != null) {
          reply.completeExceptionally(reloadError);
          return;
        }
        if (reply.isDone()) {
          // Timed out while the script was loading: the failure mode has decided already.
          return;
        }
        RedisFuture<List<Object>> call;
        try {
          call = commands.evalsha(sha, ScriptOutputType.MULTI, keys, args);
        } catch (RuntimeException rejected) {
          reply.completeExceptionally(rejected);
          return;
        }
        retry.set(call);
        if (reply.isDone()) {
          call.cancel(false);
          return;
        }
        call.whenComplete((values, error) -> {
          if (error == null) {
            reply.complete(values);
          } else if (isNoScript(error) && !reply.isDone()) {
            // The script was flushed again between the reload and this call. NOSCRIPT means
            // nothing ran, so waiting for the next reload cannot charge the request twice.
            afterReload(this);
          } else {
            reply.completeExceptionally(error);
          }
        });
      }
    });
    // The timeout ends only this call's wait, never the shared reload.
    reply.orTimeout(Math.max(0, remainingNanos), TimeUnit.NANOSECONDS)
        .whenComplete((ignored, error) -> {
          if (error instanceof TimeoutException && retry.get() != null) {
            retry.get().cancel(false);
          }
        });
    return reply;
  }

  /**
   * Runs {@code retry} when the reload in progress completes, or starts one if none is, with
   * the reload's failure or null. Retries run in the order they were added, which is the
   * order of their {@code NOSCRIPT} replies and so of their first calls, so that the calls
   * sent again reach Redis in their first order.
   */
  private void afterReload(Consumer<Throwable> retry) {
    boolean start;
    synchronized (this) {
      start = waitingForReload == null;
      if (start) {
        waitingForReload = new ArrayList<>();
      }
      waitingForReload.add(retry);
    }
    if (start) {
      load();
    }
  }

  /**
   * Sends {@code SCRIPT LOAD}, then runs the retries that wait for it. The reload is forgotten
   * first, so that a later {@code NOSCRIPT} starts another.
   */
  private void load() {
    CompletableFuture<String> load;
    try {
      load = loader.apply(source);
    } catch (RuntimeException rejected) {
      load = CompletableFuture.failedFuture(rejected);
    }
    load.orTimeout(loadTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .whenComplete((loaded, error) -> {
          if (error == null) {
            sha = loaded;
          }
          List<Consumer<Throwable>> retries;
          synchronized (this) {
            retries = waitingForReload;
            waitingForReload = null;
          }
          for (Consumer<Throwable> retry : retries) {
            retry.accept(error);
          }
        });
  }

  private static boolean isNoScript(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
    return cause instanceof RedisNoScriptException;
  }

  private static String await(CompletableFuture<String> future, Duration timeout) {
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new RedisException("SCRIPT LOAD failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new RedisCommandTimeoutException(
          "SCRIPT LOAD timed out after " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisCommandInterruptedException(e);
    }
  }

  static String assemble() {
    StringBuilder script = new StringBuilder();
    for (String part : PARTS) {
      script.append(read(part)).append('\n');
    }
    return script.toString();
  }

  static String read(String resource) {
    try (InputStream in = DecisionScript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("script resource not found: dev/sluice/redis/" + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("failed to read script resource " + resource, e);
    }
  }
}
