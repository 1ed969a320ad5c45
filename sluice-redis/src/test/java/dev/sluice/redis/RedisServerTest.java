package dev.sluice.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

class RedisServerTest {

  @Test
  void start_binaryFromPathOrShipped_answersPingUntilClosed() throws Exception {
    assertAnswersThenStops(RedisServer.start());
  }

  @Test
  void start_shippedBinary_answersPingUntilClosed() throws Exception {
    assertAnswersThenStops(RedisServer.start(RedisServer.extractShippedBinary()));
  }

  private static void assertAnswersThenStops(RedisServer server) {
    RedisClient client = RedisClient.create(server.uri());
    try (server; StatefulRedisConnection<String, String> connection = client.connect()) {
      assertThat(connection.sync().ping()).isEqualTo("PONG");
      assertThat(connection.sync().configGet("save")).containsEntry("save", "");
      assertThat(connection.sync().configGet("appendonly")).containsEntry("appendonly", "no");
    } finally {
      client.shutdown();
    }
    assertThat(ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains(":" + server.port())))
        .as("redis-server processes still listening on port %d", server.port())
        .isEmpty();
  }
}
