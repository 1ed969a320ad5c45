package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.netty.handler.ssl.NotSslRecordException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;

/**
 * The messages of {@link ConnectErrors} for failures whose shape a real server produces only
 * by chance, built here as Lettuce 6.8.1 reports them.
 */
class ConnectErrorsTest {

  private static final String URI = "redis://127.0.0.1:7612/0";

  /**
   * With {@code ?timeout=1ms} against a Redis on the same host, the timeout often closes the
   * channel before the handshake starts, and the innermost cause has no message.
   */
  @Test
  void describe_closedChannelWithoutMessage_namesTypeAndTimeout() {
    RuntimeException failure = new RedisConnectionException(
        "Unable to connect to 127.0.0.1/<unresolved>:7612", new ClosedChannelException());

    RuntimeException described = ConnectErrors.describe(failure, URI, Duration.ofMillis(1));

    assertThat(described).isInstanceOf(RedisConnectionException.class).hasCause(failure);
    assertThat(described.getMessage())
        .isEqualTo("failed to connect to redis://127.0.0.1:7612/0: ClosedChannelException;"
            + " connecting and the handshake must finish within the URI's timeout of 1ms, so"
            + " raise it with timeout= in the URI, such as timeout=1s, or check that the server"
            + " at this address is Redis and responds")
        .doesNotContain("null");
  }

  @Test
  void describe_connectionRefused_givesNoTimeoutAdvice() {
    // Netty's exception names the address and has the JDK's as its cause.
    ConnectException refused = new ConnectException("Connection refused: /127.0.0.1:7612");
    refused.initCause(new ConnectException("Connection refused"));
    RuntimeException failure = new RedisConnectionException(
        "Unable to connect to 127.0.0.1/<unresolved>:7612", refused);

    RuntimeException described = ConnectErrors.describe(failure, URI, Duration.ofSeconds(60));

    // "Connection refused" alone is left out, because the text already contains it.
    assertThat(described.getMessage()).isEqualTo("failed to connect to"
        + " redis://127.0.0.1:7612/0: Connection refused: /127.0.0.1:7612");
  }

  /**
   * A Cluster node rejects the {@code SELECT} of a URI with a database. Built here because
   * Lettuce 6.8.1 reports that reply only at times: in other runs against a real node it
   * reported "RedisHandshakeHandler not registered" instead.
   */
  @Test
  void describe_clusterNodeWithDatabase_namesClusterSeeds() {
    String nodeUri = "redis://127.0.0.1:7612/1";
    RuntimeException failure = new RedisConnectionException(
        "Unable to connect to 127.0.0.1/<unresolved>:7612",
        new RedisCommandExecutionException("ERR SELECT is not allowed in cluster mode"));

    RuntimeException described = ConnectErrors.describe(failure, nodeUri, Duration.ofSeconds(60));

    assertThat(described.getMessage()).isEqualTo("Redis at " + nodeUri + " is a node of a"
        + " Redis Cluster, which has only database 0 and holds only the keys of its own slots;"
        + " connect with clusterSeeds (--redis-cluster or cluster: in sluice serve) and the"
        + " URIs of the cluster's nodes, without a database");
  }

  /**
   * A {@code rediss://} URI on a port without TLS: a plain Redis waits for the end of a command
   * line, so Netty's handshake times out after 10 s; a server that replies in plain text
   * gives a record that is not TLS.
   */
  @Test
  void describe_tlsToPlainPort_advisesTlsPort() {
    String tlsUri = "rediss://127.0.0.1:7612/0";
    for (SSLException notTls : List.of(new SSLException("handshake timed out after 10000ms"),
        new NotSslRecordException("not an SSL/TLS record: 2d45525220"))) {
      RuntimeException failure = new RedisConnectionException(
          "Unable to connect to 127.0.0.1/<unresolved>:7612", notTls);

      RuntimeException described = ConnectErrors.describe(failure, tlsUri, Duration.ofSeconds(60));

      assertThat(described.getMessage()).isEqualTo("TLS handshake with " + tlsUri + " failed: "
          + notTls.getMessage() + "; check that the server serves TLS on this port (tls-port in"
          + " redis.conf), or use redis:// for a server without TLS");
    }
  }

  @Test
  void describe_unknownMasterName_namesSentinels() {
    String sentinelUri = "redis-sentinel://127.0.0.1:7612/0#nosuch";
    String lookup = "Cannot provide redisAddress using sentinel for masterId nosuch";
    RuntimeException failure = new RedisConnectionException(lookup);

    RuntimeException described =
        ConnectErrors.describe(failure, sentinelUri, Duration.ofSeconds(60));

    assertThat(described.getMessage()).isEqualTo("failed to find the master through the"
        + " sentinels of " + sentinelUri + ": " + lookup + "; check that each host in the URI"
        + " is a Redis Sentinel, not a Redis server, and that the sentinels monitor the master"
        + " named after #");
  }

  @Test
  void describe_messageOnSeveralLines_foldedIntoOne() {
    RuntimeException failure = new RedisConnectionException("Unable to establish a connection"
        + " to Redis Cluster at [redis://127.0.0.1:7612]\n\nDetails:\n\t127.0.0.1:7612",
        new ConnectException("Connection refused: /127.0.0.1:7612"));

    RuntimeException described = ConnectErrors.describe(failure, URI, Duration.ofSeconds(60));

    assertThat(described.getMessage()).isEqualTo("failed to connect to"
        + " redis://127.0.0.1:7612/0: Unable to establish a connection to Redis Cluster at"
        + " [redis://127.0.0.1:7612] Details: 127.0.0.1:7612: Connection refused:"
        + " /127.0.0.1:7612");
  }
}
