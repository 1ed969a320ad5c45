package dev.sluice.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's own standalone {@code redis-server}, started before its first test and
 * stopped after its last, with a connection for setting up and inspecting keys. Every test
 * starts on an empty database. Register it in a static field with {@code @RegisterExtension},
 * so that it starts before the class's {@code @BeforeAll} and {@code @BeforeEach} methods run.
 */
final class StandaloneRedis implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

  private RedisServer server;
  private RedisClient client;
  private StatefulRedisConnection<String, String> admin;

  @Override
  public void beforeAll(ExtensionContext context) {
    server = RedisServer.start();
    client = RedisClient.create(server.uri());
    admin = client.connect();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    admin.close();
    client.shutdown();
    server.close();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    admin.sync().flushall();
  }

  /** Returns the server's {@code redis://} URI on the loopback address. */
  String uri() {
    return server.uri();
  }

  /** Returns the client of the set-up connection, for further connections such as pub/sub. */
  RedisClient client() {
    return client;
  }

  /** Returns the commands of the set-up connection. */
  RedisCommands<String, String> commands() {
    return admin.sync();
  }
}
