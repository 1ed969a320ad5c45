package dev.sluice.redis;

import dev.sluice.internal.Durations;
import dev.sluice.internal.Printable;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.netty.handler.ssl.NotSslRecordException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
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

  /**
   * The start of the message of Lettuce 6.8's {@link RedisConnectionException} for a failed
   * connection to a sentinel, which distinguishes a sentinel's rejection from the master's.
   */
  private static final String SENTINEL_FAILURE = "Cannot connect to a Redis Sentinel";

  /** Part of the message of Lettuce 6.8 for a failed {@code SENTINEL MASTER} lookup. */
  private static final String SENTINEL_MASTER_LOOKUP = "using SENTINEL MASTER";

  /**
   * The start of the message of Lettuce 6.8 when the sentinels of a URI know no master of its
   * name.
   */
  private static final String UNKNOWN_MASTER =
      "Cannot provide redisAddress using sentinel for masterId";

  /** The start of Lettuce 6.8's message for a failed connection, followed by the address. */
  private static final String UNABLE_TO_CONNECT = "Unable to connect to ";

  /**
   * The start of a Cluster node's reply to the {@code SELECT} of a URI with a database. NOTE:
   * Lettuce 6.8.1 reports this reply only at times. In other runs it failed the handshake with
   * "RedisHandshakeHandler not registered", which gets the generic connect message.
   */
  private static final String SELECT_IN_CLUSTER = "ERR SELECT is not allowed in cluster mode";
  /** Lettuce 6.8's message for a socket URI without a native transport. */
  private static final String NO_SOCKET_TRANSPORT = "requires epoll or kqueue";

  private ConnectErrors() {}

  /**
   * Returns a {@link RedisConnectionException} that explains {@code failure}, with
   * {@code failure} as its cause, or {@code failure} itself when it is neither a TLS nor an
   * authentication failure nor a failure to connect.
   *
   * @param uriTimeout the timeout of the URI (of the first seed for a Redis Cluster), which
   *     bounds connecting and the handshake
   */
  static RuntimeException describe(
      RuntimeException failure, String maskedUri, Duration uriTimeout) {
    SSLException tls = find(failure, SSLException.class);
    if (tls != null && isNotTls(tls)) {
      return new RedisConnectionException("TLS handshake with " + maskedUri + " failed: "
          + tls.getMessage() + "; check that the server serves TLS on this port (tls-port in"
          + " redis.conf), or use redis:// for a server without TLS", failure);
    }
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
      return isSentinelFailure(failure)
          ? new RedisConnectionException("authentication failed at the sentinels of "
              + maskedUri + ": " + reply + "; the password in a Sentinel URI is sent only to"
              + " the master, so give the sentinels' password with sentinelPassword"
              + " (sentinel_password in sluice serve)", failure)
          : new RedisConnectionException("authentication failed for " + maskedUri + ": "
              + reply + "; check the user name and password in the URI", failure);
    }
    if (rejected != null && rejected.getMessage() != null
        && rejected.getMessage().startsWith(SELECT_IN_CLUSTER)) {
      return new RedisConnectionException("Redis at " + maskedUri + " is a node of a Redis"
          + " Cluster, which has only database 0 and holds only the keys of its own slots;"
          + " connect with clusterSeeds (--redis-cluster or cluster: in sluice serve) and the"
          + " URIs of the cluster's nodes, without a database", failure);
    }
    if (String.valueOf(failure.getMessage()).contains(NO_SOCKET_TRANSPORT)) {
      return new RedisConnectionException("cannot connect to " + maskedUri + ": a Unix domain"
          + " socket needs Netty's native epoll (Linux) or kqueue (macOS) transport on the class"
          + " path, which Sluice does not bundle; add io.netty:netty-transport-native-epoll with"
          + " its native classifier, or connect over TCP, such as redis://127.0.0.1:6379",
          failure);
    }
    if (failure instanceof RedisConnectionException && isMasterLookupFailure(failure)) {
      // Lettuce 6.8 reports a lookup that a host rejected as a timeout of the URI's timeout,
      // with the host's reply only as a suppressed exception.
      String reason = rejected != null && rejected.getMessage() != null
          ? "a sentinel replied " + oneLine(rejected.getMessage())
          : rootMessage(failure);
      return new RedisConnectionException("failed to find the master through the sentinels of "
          + maskedUri + ": " + reason + "; check that each host in the URI is a"
          + " Redis Sentinel, not a Redis server, and that the sentinels monitor the master"
          + " named after #", failure);
    }
    if (failure instanceof RedisConnectionException) {
      String chain = chainMessages(failure);
      return new RedisConnectionException("failed to connect to " + maskedUri + ": " + chain
          + timeoutAdvice(failure, maskedUri, uriTimeout) + resetAdvice(chain, maskedUri),
          failure);
    }
    return failure;
  }

  /**
   * Returns advice for a handshake that the URI's timeout cut short, else nothing. Lettuce 6.8
   * then reports a {@link RedisCommandTimeoutException} ("Connection initialization timed
   * out"), or, when the timeout closes the channel before the handshake starts, a
   * {@link ClosedChannelException} without a message, as with {@code ?timeout=1ms} against a
   * Redis on the same host. A server that closes the connection by itself gives the latter too,
   * hence the second half of the advice.
   */
  private static String timeoutAdvice(Throwable failure, String maskedUri, Duration uriTimeout) {
    if (find(failure, RedisCommandTimeoutException.class) == null
        && find(failure, ClosedChannelException.class) == null) {
      return "";
    }
    String server = maskedUri.startsWith("rediss://")
        ? "is Redis, serves TLS on this port (tls-port in redis.conf) and responds"
        : "is Redis and responds";
    String longer = uriTimeout.compareTo(Duration.ofSeconds(1)) < 0 ? "1s" : "10s";
    if (uriTimeout.compareTo(Duration.ofSeconds(10)) >= 0) {
      longer = Durations.format(uriTimeout.multipliedBy(2));
    }
    return "; connecting and the handshake must finish within the URI's timeout of "
        + Durations.format(uriTimeout) + ", so raise it with timeout= in the URI, such as"
        + " timeout=" + longer + ", or check that the server at this address " + server;
  }

  /**
   * Returns advice for a {@code redis://} connection that the server reset, as a Redis that
   * accepts only TLS on the port does when it reads a plain command, else nothing.
   *
   * @param chain the messages of the failure and its causes, from {@link #chainMessages}
   */
  private static String resetAdvice(String chain, String maskedUri) {
    if (maskedUri.startsWith("rediss://") || !chain.contains("Connection reset")) {
      return "";
    }
    return "; if the server accepts only TLS on this port (tls-port in redis.conf), use"
        + " rediss://";
  }

  /**
   * Returns whether a TLS handshake failed because the server does not speak TLS on the port.
   * A plain Redis server waits for the end of a command line that never comes, so Netty's
   * handshake times out, and a server that replies in plain text gives Netty's
   * {@link NotSslRecordException}.
   */
  private static boolean isNotTls(SSLException tls) {
    return tls instanceof NotSslRecordException
        || (tls.getMessage() != null && tls.getMessage().startsWith("handshake timed out"));
  }

  /**
   * Returns whether Lettuce failed to ask the sentinels for the master's address, as when a
   * host of the URI is a plain Redis server, which does not know {@code SENTINEL MASTER}.
   */
  private static boolean isMasterLookupFailure(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      String message = cause.getMessage();
      if (message != null && (message.contains(SENTINEL_MASTER_LOOKUP)
          || message.startsWith(UNKNOWN_MASTER))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isSentinelFailure(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof RedisConnectionException && cause.getMessage() != null
          && cause.getMessage().startsWith(SENTINEL_FAILURE)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isAuthentication(String message) {
    return message != null && AUTHENTICATION_ERRORS.stream().anyMatch(message::startsWith);
  }

  /**
   * Returns the first {@code type} among {@code failure}, its causes and their suppressed
   * exceptions, depth first. A Redis Cluster client reports the failure of each seed as a
   * suppressed exception of one "Cannot retrieve cluster partitions" error.
   */
  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    Deque<Throwable> pending = new ArrayDeque<>(List.of(failure));
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    while (!pending.isEmpty()) {
      Throwable next = pending.pop();
      if (!seen.add(next)) {
        continue;
      }
      if (type.isInstance(next)) {
        return type.cast(next);
      }
      List<Throwable> children = new ArrayList<>(List.of(next.getSuppressed()));
      if (next.getCause() != null) {
        children.add(0, next.getCause());
      }
      for (int i = children.size() - 1; i >= 0; i--) {
        pending.push(children.get(i));
      }
    }
    return null;
  }

  /**
   * Returns whether a server was reached but rejected the connection, with an error reply such
   * as {@code WRONGPASS} to the handshake, or by failing the TLS handshake.
   */
  static boolean isRejectedByServer(Throwable failure) {
    return find(failure, RedisCommandExecutionException.class) != null
        || find(failure, SSLException.class) != null;
  }

  /** Returns the messages of a failure and its causes on one line, for a log line. */
  static String causeOf(Throwable failure) {
    return Printable.escape(chainMessages(failure));
  }

  /**
   * Returns the message of the innermost cause that has one, because Lettuce's outer messages
   * only repeat that it could not connect, or the type of the innermost cause when none has one.
   */
  private static String rootMessage(Throwable failure) {
    String message = null;
    Throwable root = failure;
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      root = cause;
      message = cause.getMessage() != null ? oneLine(cause.getMessage()) : message;
    }
    return message != null ? message : root.getClass().getSimpleName();
  }

  /**
   * Folds the line breaks and indents of a message into single spaces: Lettuce's message for
   * an unreachable Redis Cluster puts its details on lines of their own.
   */
  private static String oneLine(String message) {
    return message.strip().replaceAll("\\s+", " ");
  }

  /**
   * Returns the messages of {@code failure} and its causes joined by colons, without those the
   * text already contains, and the type of any cause without a message, such as
   * {@code Connection refused: /127.0.0.1:6379} or {@code ClosedChannelException}. Lettuce's
   * {@code Unable to connect to 127.0.0.1/<unresolved>:6379} is left out unless nothing else
   * explains the failure, because the caller names the URI.
   */
  private static String chainMessages(Throwable failure) {
    List<String> parts = new ArrayList<>();
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      parts.add(cause.getMessage() != null
          ? oneLine(cause.getMessage())
          : cause.getClass().getSimpleName());
    }
    if (parts.stream().anyMatch(part -> !part.startsWith(UNABLE_TO_CONNECT))) {
      parts.removeIf(part -> part.startsWith(UNABLE_TO_CONNECT));
    }
    StringBuilder text = new StringBuilder();
    for (String part : parts) {
      if (text.indexOf(part) < 0) {
        text.append(text.length() == 0 ? "" : ": ").append(part);
      }
    }
    return text.toString();
  }
}
