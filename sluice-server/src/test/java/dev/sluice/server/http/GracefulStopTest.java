package dev.sluice.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stops a real server on a loopback port while a client is still sending its request body, and
 * checks that the stop waits for that request instead of failing it.
 */
class GracefulStopTest {

  /** 37 bytes, of which the client sends 10 before the stop and 27 after it. */
  private static final String BODY = "{\"policy\":\"api\", \"key\":\"k\", \"cost\":1}";

  private SluiceServer server;

  @BeforeEach
  void startServer() throws Exception {
    Policy api = Policy.of("api", Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)));
    server = SluiceServer.start(List.of(api), InMemoryStore.builder().build(), "127.0.0.1", 0);
  }

  @AfterEach
  void stopServer() throws Exception {
    server.stop();
  }

  @Test
  void stop_bodyStillArriving_servesRequest() throws Exception {
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    assertThat(body).hasSize(37);
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/check HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
          + "\r\nContent-Length: 37\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body, 0, 10);
      out.flush();
      awaitRequestsInFlight(1);

      CompletableFuture<Void> stopped = CompletableFuture.runAsync(this::stopQuietly);
      awaitStopping();
      // Jetty's default shortens every idle timeout to 1 s when a stop begins, which failed
      // this request with 408 before its body could arrive. No response may come for 3 s.
      socket.setSoTimeout(3_000);
      InputStream in = socket.getInputStream();
      assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
      out.write(body, 10, 27);
      out.flush();
      socket.setSoTimeout(30_000);
      String response = readResponse(in);

      assertThat(response).startsWith("HTTP/1.1 200 ");
      assertThat(response).contains("\"allowed\":true");
      stopped.get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void stop_idleConnection_closesIt() throws Exception {
    try (Socket idle = new Socket("127.0.0.1", server.port())) {
      idle.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      idle.setSoTimeout(30_000);
      assertThat(readResponse(idle.getInputStream())).startsWith("HTTP/1.1 200 ");

      CompletableFuture<Void> stopped = CompletableFuture.runAsync(this::stopQuietly);

      // The client keeps the connection open and idle, so the stop must close it.
      assertThat(idle.getInputStream().read()).isEqualTo(-1);
      stopped.get(30, TimeUnit.SECONDS);
    }
  }

  private void stopQuietly() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stop failed", e);
    }
  }

  /** Polls, because Jetty signals neither event. Both happen within milliseconds. */
  private void awaitRequestsInFlight(long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (server.requestsInFlight() != expected) {
      assertThat(System.nanoTime()).as("requests in flight reach " + expected)
          .isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  private void awaitStopping() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!server.isShutDown()) {
      assertThat(System.nanoTime()).as("the server begins to stop").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  /** Reads a response with a Content-Length body. */
  private static String readResponse(InputStream in) throws IOException {
    String headers = readHeaders(in);
    int length = 0;
    for (String line : headers.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    return headers + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static String readHeaders(InputStream in) throws IOException {
    ByteArrayOutputStream headers = new ByteArrayOutputStream();
    while (!headers.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int next = in.read();
      if (next < 0) {
        break;
      }
      headers.write(next);
    }
    return headers.toString(StandardCharsets.US_ASCII);
  }
}
