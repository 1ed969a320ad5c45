package dev.sluice.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sends part of a request body and then nothing, and checks that the 408 comes after one idle
 * timeout, not after a second one spent reading the rest of the body.
 */
class BodyIdleTimeoutTest {

  /** Short, so that the test is quick, but long against scheduling delays on a busy machine. */
  private static final Duration IDLE_TIMEOUT = Duration.ofMillis(1_500);

  /** Below two idle timeouts, with room for a slow machine. */
  private static final Duration MAX_WAIT = Duration.ofMillis(2_500);

  private SluiceServer server;

  @BeforeEach
  void startServer() throws Exception {
    Policy api = Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)));
    server = SluiceServer.start(List.of(api), Map.of(), InMemoryStore.builder().build(),
        "127.0.0.1", 0, IDLE_TIMEOUT);
  }

  @AfterEach
  void stopServer() throws Exception {
    server.stop();
  }

  @Test
  void check_silentInContentLengthBody_408AfterOneIdleTimeout() throws Exception {
    assertTimedOutAfterOneIdleTimeout("Content-Length: 100\r\n\r\n{\"policy\":");
  }

  @Test
  void check_silentInChunkedBody_408AfterOneIdleTimeout() throws Exception {
    assertTimedOutAfterOneIdleTimeout("Transfer-Encoding: chunked\r\n\r\na\r\n{\"policy\":\r\n");
  }

  private void assertTimedOutAfterOneIdleTimeout(String headersAndPartialBody)
      throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      long sent = System.nanoTime();
      out.write(("POST /v1/check HTTP/1.1\r\nHost: localhost\r\n" + headersAndPartialBody)
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = readUntilClosed(socket.getInputStream());
      Duration waited = Duration.ofNanos(System.nanoTime() - sent);

      assertThat(response).startsWith("HTTP/1.1 408 ");
      assertThat(response).contains("\"field\":\"body\"");
      assertThat(waited).isGreaterThanOrEqualTo(IDLE_TIMEOUT.minusMillis(100));
      assertThat(waited).isLessThan(MAX_WAIT);
    }
  }

  /** Reads until the server closes the connection, which it does after a 408. */
  private static String readUntilClosed(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }
}
