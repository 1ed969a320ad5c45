package dev.sluice.server.config;

import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.redis.FailureMode;
import dev.sluice.redis.RedisStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Checks that each policy falling back to local limits ({@code on_failure: local}) can be
 * divided by the {@code local_share} of the Redis store that binds it, so that the store does
 * not reject the policy after the server started or reloaded.
 */
final class LocalShareCheck {

  private static final List<String> ANY_KEY = List.of();

  private final NodeReader reader;

  LocalShareCheck(NodeReader reader) {
    this.reader = reader;
  }

  /**
   * Rejects a policy that falls back to local limits whose share of one instance is not a
   * valid policy, so that the store does not fail to bind it after the server started.
   */
  void checkLocalShares(Node policies, Map<String, Policy> byName,
      Map<String, FailureMode> failureModes, RedisConfig redis) {
    reader.fields(policies, "policies", ANY_KEY).forEach((name, node) -> {
      if (failureModes.getOrDefault(name, redis.onFailure()) != FailureMode.LOCAL) {
        return;
      }
      try {
        RedisStore.localShareOf(byName.get(name), redis.localShare());
      } catch (IllegalArgumentException e) {
        throw reader.error(node, "policy '" + name + "' falls back to local limits divided by"
            + " local_share " + redis.localShare() + ", and its share is invalid: "
            + problemOf(e) + ", or lower local_share");
      }
    });
  }

  /**
   * Rejects a reloaded policy whose local limits the running store cannot divide. A reload
   * keeps the running store, so its {@code on_failure} and {@code local_share} bind the
   * policies until a restart, whatever the file sets. The error names the line of the limit.
   *
   * @param fromFile the store settings of the reloaded file, after any override
   */
  void checkRunningLocalShares(Node policies, Map<String, Policy> byName,
      Map<String, FailureMode> failureModes, RedisConfig running, StoreConfig fromFile) {
    reader.fields(policies, "policies", ANY_KEY).forEach((name, node) -> {
      if (failureModes.getOrDefault(name, running.onFailure()) != FailureMode.LOCAL) {
        return;
      }
      Node limits = reader.fields(node, "policy '" + name + "'", ANY_KEY).get("limits");
      List<Node> items = reader.items(limits, "limits");
      List<Limit> parsed = byName.get(name).limits();
      for (int i = 0; i < items.size(); i++) {
        checkRunningShare(name, parsed.get(i), items.get(i), running, fromFile);
      }
    });
  }

  private void checkRunningShare(
      String policy, Limit limit, Node node, RedisConfig running, StoreConfig fromFile) {
    try {
      RedisStore.localShareOf(Policy.of(policy, limit), running.localShare());
    } catch (IllegalArgumentException e) {
      // The file's local_share when it differs from the running one, which a restart applies.
      Optional<Integer> fileShare = fromFile.redis()
          .map(RedisConfig::localShare)
          .filter(share -> share != running.localShare());
      throw reader.error(node, "limit '" + limit.name() + "' of policy '" + policy
          + "' cannot be divided by local_share " + running.localShare() + ", which the"
          + " running store keeps until a restart"
          + fileShare.map(share -> ", while the file's settings give local_share " + share)
              .orElse("")
          + ": " + problemOf(e) + ", or restart to apply "
          + fileShare.map(share -> "local_share " + share).orElse("the file's store settings"));
    }
  }

  /** Returns the reason of a rejected share, which the store wraps with the policy's name. */
  private static String problemOf(IllegalArgumentException rejected) {
    return rejected.getCause() == null ? rejected.getMessage() : rejected.getCause().getMessage();
  }
}
