package dev.sluice.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The Lua script that decides a request, and how it is called.
 *
 * <p>The script is assembled from resource files in this package: the integer library, the
 * decision helpers, one file per algorithm, and the entry point. It is loaded once with
 * {@code SCRIPT LOAD} and then called by {@code EVALSHA} with the cached SHA-1, one round trip
 * per decision. When the server has lost its script cache (a restart, a failover, or
 * {@code SCRIPT FLUSH}), it replies {@code NOSCRIPT} without running anything, so loading the
 * script again and retrying once cannot charge a request twice.
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
  private final RedisCommands<String, String> commands;
  private volatile String sha;

  DecisionScript(RedisCommands<String, String> commands) {
    this.commands = commands;
    this.source = assemble();
    this.sha = commands.scriptLoad(source);
  }

  /** Runs the script, loading it again if the server no longer has it. */
  List<Object> run(String[] keys, String[] args) {
    try {
      return commands.evalsha(sha, ScriptOutputType.MULTI, keys, args);
    } catch (RedisNoScriptException notCached) {
      sha = commands.scriptLoad(source);
      return commands.evalsha(sha, ScriptOutputType.MULTI, keys, args);
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
