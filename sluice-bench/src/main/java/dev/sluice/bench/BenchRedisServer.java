package dev.sluice.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A Redis server for one benchmark trial: a {@code redis-server} from the PATH, started on a
 * free port of 127.0.0.1 without persistence, or the server at the port named by the system
 * property {@value #PORT_PROPERTY}, which is flushed instead.
 */
final class BenchRedisServer implements AutoCloseable {

  static final String PORT_PROPERTY = "sluice.bench.redis.port";

  private final Process process;
  private final int port;

  private BenchRedisServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static BenchRedisServer start() {
    String given = System.getProperty(PORT_PROPERTY);
    if (given != null) {
      BenchRedisServer server = new BenchRedisServer(null, Integer.parseInt(given));
      server.admin(commands -> commands.flushall());
      return server;
    }
    int port = freePort();
    try {
      Process process = new ProcessBuilder("redis-server", "--port", Integer.toString(port),
          "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      BenchRedisServer server = new BenchRedisServer(process, port);
      server.awaitReady();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("failed to start redis-server from the PATH", e);
    }
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Runs commands on a connection of its own, closed afterwards. */
  <T> T admin(Function<RedisCommands<String, String>, T> work) {
    RedisClient client = RedisClient.create(uri());
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      return work.apply(connection.sync());
    } finally {
      client.shutdown();
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        admin(RedisCommands::ping);
        return;
      } catch (RuntimeException notYet) {
        if (System.nanoTime() > deadline || !process.isAlive()) {
          throw new IllegalStateException(
              "redis-server did not respond to PING on port " + port, notYet);
        }
        sleepBriefly();
      }
    }
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for redis-server", e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("failed to find a free port on 127.0.0.1", e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
