package dev.sluice.redis;

import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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
  private final RedisScriptingAsyncCommands<String, String> commands;
  private volatile String sha;

  /**
   * Loads the script, waiting up to {@code loadTimeout}. The commands may be those of a
   * standalone or Sentinel connection, or of a Redis Cluster connection, which loads the script
   * on every master and sends each call to the master of its keys' slot.
   *
   * @throws io.lettuce.core.RedisException if Redis rejects the script or does not reply
   */
  DecisionScript(RedisScriptingAsyncCommands<String, String> commands, Duration loadTimeout) {
    this.commands = commands;
    this.source = assemble();
    this.sha = await(commands.scriptLoad(source), loadTimeout);
  }

  /**
   * Runs the script, loading it again if the server no longer has it. The connection's
   * {@link #decisionTimeouts} fail the {@code EVALSHA} with a
   * {@link RedisCommandTimeoutException} when no reply came within {@code timeout}. After a
   * {@code NOSCRIPT} reply, the reload and the second call get what is left of
   * {@code timeout}, and a call still in flight then is cancelled, so that Lettuce does not
   * send it again after a reconnect.
   */
  CompletableFuture<List<Object>> run(String[] keys, String[] args, Duration timeout) {
    long startNanos = System.nanoTime();
    return commands.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
        .toCompletableFuture()
        .exceptionallyCompose(error -> isNoScript(error)
            ? reloadAndRun(keys, args, timeout.toNanos() - (System.nanoTime() - startNanos))
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
    AtomicReference<RedisFuture<?>> inFlight = new AtomicReference<>();
    CompletableFuture<List<Object>> reply = reload(inFlight)
        .thenCompose(loaded -> evalsha(keys, args, inFlight))
        .orTimeout(Math.max(0, remainingNanos), TimeUnit.NANOSECONDS);
    reply.whenComplete((ignored, error) -> {
      if (error instanceof TimeoutException) {
        inFlight.get().cancel(false);
      }
    });
    return reply;
  }

  private CompletableFuture<List<Object>> evalsha(
      String[] keys, String[] args, AtomicReference<RedisFuture<?>> inFlight) {
    RedisFuture<List<Object>> call = commands.evalsha(sha, ScriptOutputType.MULTI, keys, args);
    inFlight.set(call);
    return call.toCompletableFuture();
  }

  private CompletableFuture<String> reload(AtomicReference<RedisFuture<?>> inFlight) {
    RedisFuture<String> load = commands.scriptLoad(source);
    inFlight.set(load);
    return load.toCompletableFuture().thenApply(loaded -> sha = loaded);
  }

  private static boolean isNoScript(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
    return cause instanceof RedisNoScriptException;
  }

  private static String await(RedisFuture<String> future, Duration timeout) {
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
