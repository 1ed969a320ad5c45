package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandType;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The reload after a {@code NOSCRIPT} reply, on Redis commands that the test completes by hand,
 * so that a reload can be held in flight while decisions wait for it or time out.
 */
class DecisionScriptTest {

  private static final String[] KEYS = {"sluice:{api:k}:1/1s:token_bucket"};
  private static final String[] ARGS = {"", "1", "0", "1"};
  private static final List<Object> REPLY = List.of(1L, 9L, 0L, 0L, 0L, 0L);
  private static final Duration GENEROUS = Duration.ofSeconds(60);

  /** The SHA-1 each EVALSHA was sent with, in order. */
  private final List<String> evalshaDigests = new ArrayList<>();
  /** The cost argument each EVALSHA was sent with, in order. */
  private final List<String> evalshaCosts = new ArrayList<>();
  /** The loads sent after the first, which the test completes. */
  private final List<AsyncCommand<String, String, String>> reloads = new ArrayList<>();
  private int noScriptRepliesLeft;

  private final DecisionScript script = new DecisionScript(fakeCommands(), GENEROUS, null);

  @Test
  void run_concurrentNoScript_sharesOneReload() {
    noScriptRepliesLeft = 2;

    CompletableFuture<List<Object>> first = script.run(KEYS, ARGS, GENEROUS);
    CompletableFuture<List<Object>> second = script.run(KEYS, ARGS, GENEROUS);
    int reloadsWhilePending = reloads.size();
    reloads.get(0).complete("sha-reloaded");

    assertThat(reloadsWhilePending).isEqualTo(1);
    assertThat(first.join()).isEqualTo(REPLY);
    assertThat(second.join()).isEqualTo(REPLY);
    // Two calls with the first SHA-1 got NOSCRIPT; both retried with the reloaded one.
    assertThat(evalshaDigests)
        .containsExactly("sha-first", "sha-first", "sha-reloaded", "sha-reloaded");
  }

  @Test
  void run_severalNoScript_retriesInFirstOrder() {
    noScriptRepliesLeft = 3;

    List<CompletableFuture<List<Object>>> calls = new ArrayList<>();
    for (String cost : List.of("1", "2", "3")) {
      calls.add(script.run(KEYS, new String[] {"", cost, "0", "1"}, GENEROUS));
    }
    reloads.get(0).complete("sha-reloaded");

    calls.forEach(call -> assertThat(call.join()).isEqualTo(REPLY));
    // A CompletableFuture runs the stages that wait on it newest first; the retries must not.
    assertThat(evalshaCosts).containsExactly("1", "2", "3", "1", "2", "3");
  }

  @Test
  void run_flushedAgainBeforeRetry_reloadsAgain() {
    // The first call and its retry after the reload both find the script gone.
    noScriptRepliesLeft = 2;

    CompletableFuture<List<Object>> call = script.run(KEYS, ARGS, GENEROUS);
    reloads.get(0).complete("sha-reloaded");
    int reloadsAfterRetry = reloads.size();
    reloads.get(reloads.size() - 1).complete("sha-reloaded-again");

    assertThat(reloadsAfterRetry).isEqualTo(2);
    assertThat(call.join()).isEqualTo(REPLY);
    assertThat(evalshaDigests)
        .containsExactly("sha-first", "sha-reloaded", "sha-reloaded-again");
  }

  @Test
  void run_timeoutDuringReload_reloadStillCompletes() {
    noScriptRepliesLeft = 1;

    CompletableFuture<List<Object>> timedOut = script.run(KEYS, ARGS, Duration.ofNanos(1));

    assertThatThrownBy(timedOut::join).hasCauseInstanceOf(TimeoutException.class);
    assertThat(reloads).hasSize(1);
    assertThat(reloads.get(0).isDone()).isFalse();
    reloads.get(0).complete("sha-reloaded");
    List<Object> next = script.run(KEYS, ARGS, GENEROUS).join();
    assertThat(next).isEqualTo(REPLY);
    // The timed-out call never retried; the next call used the reloaded SHA-1 at once.
    assertThat(evalshaDigests).containsExactly("sha-first", "sha-reloaded");
    assertThat(reloads).hasSize(1);
  }

  @Test
  void run_reloadFailed_nextNoScriptReloadsAgain() {
    noScriptRepliesLeft = 2;

    CompletableFuture<List<Object>> failed = script.run(KEYS, ARGS, GENEROUS);
    reloads.get(0).completeExceptionally(new IllegalStateException("connection lost"));
    CompletableFuture<List<Object>> retried = script.run(KEYS, ARGS, GENEROUS);
    reloads.get(1).complete("sha-reloaded");

    assertThatThrownBy(failed::join).hasRootCauseMessage("connection lost");
    assertThat(retried.join()).isEqualTo(REPLY);
    assertThat(reloads).hasSize(2);
  }

  /**
   * Returns commands whose first SCRIPT LOAD replies {@code sha-first} at once, whose later
   * loads wait for the test, and whose EVALSHA replies NOSCRIPT while
   * {@link #noScriptRepliesLeft} lasts, then {@link #REPLY}.
   */
  @SuppressWarnings("unchecked")
  private RedisScriptingAsyncCommands<String, String> fakeCommands() {
    List<Boolean> loaded = new ArrayList<>();
    return (RedisScriptingAsyncCommands<String, String>) Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {RedisScriptingAsyncCommands.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "scriptLoad" -> {
            AsyncCommand<String, String, String> load = command(CommandType.SCRIPT);
            if (loaded.isEmpty()) {
              loaded.add(true);
              load.complete("sha-first");
            } else {
              reloads.add(load);
            }
            yield load;
          }
          case "evalsha" -> {
            evalshaCosts.add(((String[]) args[3])[1]);
            yield evalsha((String) args[0]);
          }
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  private AsyncCommand<String, String, List<Object>> evalsha(String digest) {
    evalshaDigests.add(digest);
    AsyncCommand<String, String, List<Object>> call = command(CommandType.EVALSHA);
    if (noScriptRepliesLeft > 0) {
      noScriptRepliesLeft--;
      call.completeExceptionally(
          new RedisNoScriptException("NOSCRIPT No matching script. Please use EVAL."));
    } else {
      call.complete(REPLY);
    }
    return call;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static <T> AsyncCommand<String, String, T> command(CommandType type) {
    return new AsyncCommand<>(new Command(type, new StatusOutput<>(StringCodec.ASCII)));
  }
}
