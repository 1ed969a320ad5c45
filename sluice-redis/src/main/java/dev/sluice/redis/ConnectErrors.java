package dev.sluice.redis;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * Turns a failure of {@link RedisStore.Builder#build()} into an error that names the server,
 * with its credentials masked, the cause and what to check. Lettuce reports a failed TLS
 * handshake or a rejected password only as the cause of a generic "Unable to connect" error.
 */
final class ConnectErrors {

  /** Starts of the Redis errors for a missing or rejected user name or password. */
  private static final List<String> AUTHENTICATION_ERRORS =
      List.of("WRONGPASS", "NOAUTH", "ERR AUTH", "ERR invalid password");

  private ConnectErrors() {}

  /**
   * Returns a {@link RedisConnectionException} that explains {@code failure}, with
   * {@code failure} as its cause, or {@code failure} itself when it is neither a TLS nor an
   * authentication failure nor a failure to connect.
   */
  static RuntimeException describe(RuntimeException failure, String maskedUri) {
    SSLException tls = find(failure, SSLException.class);
    if (tls != null) {
      return new RedisConnectionException("TLS handshake with " + maskedUri + " failed: "
          + tls.getMessage() + "; if a private CA signed the server's certificate, trust it"
          + " with trustedCertificates (tls_ca_file in sluice serve), and check that the"
          + " certificate names the URI's host", failure);
    }
    RedisCommandExecutionException rejected =
        find(failure, RedisCommandExecutionException.class);
    if (rejected != null && isAuthentication(rejected.getMessage())) {
      String reply = rejected.getMessage().replaceFirst("\\.$", "");
      return new RedisConnectionException("authentication failed for " + maskedUri + ": "
          + reply + "; check the user name and password in the URI", failure);
    }
    if (failure instanceof RedisConnectionException) {
      return new RedisConnectionException("failed to connect to " + maskedUri + ": "
          + rootMessage(failure), failure);
    }
    return failure;
  }

  private static boolean isAuthentication(String message) {
    return message != null && AUTHENTICATION_ERRORS.stream().anyMatch(message::startsWith);
  }

  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (type.isInstance(cause)) {
        return type.cast(cause);
      }
    }
    return null;
  }

  private static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage());
  }
}
