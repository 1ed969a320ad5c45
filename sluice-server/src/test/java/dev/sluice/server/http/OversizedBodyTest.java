package dev.sluice.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Sends bodies above the maximum size over raw sockets, in pieces, as a client on a slow link
 * does. The client must be able to send its whole body and read the 400 that explains the
 * rejection, and its connection must stay open for the next request. A body cut off or badly
 * framed, and a request that Jetty's parser rejects, get a 400 that names the problem.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OversizedBodyTest {

  private static final int PIECE_BYTES = 8 * 1024;
  private static final String SMALL_CHECK = "{\"policy\": \"minute\", \"key\": \"next\"}";

  private SluiceServer server;

  @BeforeAll
  void startServer() throws Exception {
    Policy policy =
        Policy.of("minute", Limit.of(Algorithm.TOKEN_BUCKET, 100, Duration.ofMinutes(1)));
    server =
        SluiceServer.start(List.of(policy), InMemoryStore.builder().build(), "127.0.0.1", 0);
  }

  @AfterAll
  void stopServer() throws Exception {
    server.stop();
  }

  @Test
  void check_oversizedBody_keepsConnection() throws Exception {
    byte[] body = jsonWithKeyOf(SluiceHandler.MAX_BODY_BYTES);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(headers("Content-Length: " + body.length));
      out.flush();
      Thread.sleep(100);
      writeInPieces(out, body);

      RawResponse rejected = RawResponse.read(socket.getInputStream());
      out.write(headers("Content-Length: " + SMALL_CHECK.length()));
      out.write(SMALL_CHECK.getBytes(StandardCharsets.UTF_8));
      RawResponse next = RawResponse.read(socket.getInputStream());

      assertThat(rejected.status()).isEqualTo(400);
      assertThat(rejected.body())
          .contains("request body must be at most 65536 bytes, got " + body.length + " bytes");
      assertThat(rejected.headers()).doesNotContainKey("connection");
      assertThat(next.status()).isEqualTo(200);
    }
  }

  @Test
  void check_oversizedChunkedBody_keepsConnection() throws Exception {
    byte[] body = jsonWithKeyOf(SluiceHandler.MAX_BODY_BYTES);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(headers("Transfer-Encoding: chunked"));
      for (int start = 0; start < body.length; start += PIECE_BYTES) {
        int length = Math.min(PIECE_BYTES, body.length - start);
        out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, start, length);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Thread.sleep(5);
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

      RawResponse rejected = RawResponse.read(socket.getInputStream());
      out.write(headers("Content-Length: " + SMALL_CHECK.length()));
      out.write(SMALL_CHECK.getBytes(StandardCharsets.UTF_8));
      RawResponse next = RawResponse.read(socket.getInputStream());

      assertThat(rejected.status()).isEqualTo(400);
      assertThat(rejected.body()).contains("got more than 65536 bytes");
      assertThat(next.status()).isEqualTo(200);
    }
  }

  @Test
  void check_bodyAboveDrainLimit_closes() throws Exception {
    try (Socket socket = connect()) {
      long declared = RequestBody.MAX_DRAINED_BYTES + 1;
      socket.getOutputStream().write(headers("Content-Length: " + declared));

      RawResponse rejected = RawResponse.read(socket.getInputStream());

      assertThat(rejected.status()).isEqualTo(400);
      assertThat(rejected.headers()).containsEntry("connection", "close");
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void check_expectContinue_skipsBody() throws Exception {
    try (Socket socket = connect()) {
      socket.getOutputStream().write(
          headers("Content-Length: 70000\r\nExpect: 100-continue"));

      RawResponse rejected = RawResponse.read(socket.getInputStream());

      assertThat(rejected.status()).isEqualTo(400);
      assertThat(rejected.headers()).containsEntry("connection", "close");
    }
  }

  @Test
  void check_invalidChunkSize_namesFraming() throws Exception {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(headers("Transfer-Encoding: chunked"));
      String chunks = "ZZ\r\n" + SMALL_CHECK + "\r\n0\r\n\r\n";
      out.write(chunks.getBytes(StandardCharsets.US_ASCII));

      RawResponse rejected = RawResponse.read(socket.getInputStream());

      assertThat(rejected.status()).isEqualTo(400);
      assertThat(rejected.body()).contains("request body ended before it was complete");
    }
  }

  @Test
  void check_bodyShorterThanDeclared_namesLength() throws Exception {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(headers("Content-Length: " + (SMALL_CHECK.length() + 10)));
      out.write(SMALL_CHECK.getBytes(StandardCharsets.UTF_8));
      socket.shutdownOutput();

      RawResponse rejected = RawResponse.read(socket.getInputStream());

      assertThat(rejected.status()).isEqualTo(400);
      assertThat(rejected.body()).contains("request body ended before it was complete");
    }
  }

  @Test
  void request_targetWithBadPercentEscape_namesProblem() throws Exception {
    assertThat(rejectionOf("GET /v1/%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        .contains("the request target has a '%' that is not followed by two hex digits");
  }

  @Test
  void request_truncatedPercentEscape_namesProblem() throws Exception {
    assertThat(rejectionOf("GET /v1/%2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        .contains("the request target has a '%' that is not followed by two hex digits");
  }

  @Test
  void request_unparsableTarget_givesReason() throws Exception {
    assertThat(rejectionOf("GET /v1/%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        .contains("the request cannot be parsed (Illegal character in path)");
  }

  @Test
  void request_hugeContentLength_notBlamedOnTarget() throws Exception {
    String rejection = rejectionOf("POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Content-Length: 9223372036854775808\r\n\r\n");

    assertThat(rejection).contains("the request cannot be parsed (");
    assertThat(rejection).doesNotContain("target");
  }

  @Test
  void request_longUnparsableTarget_escapedAndCut() throws Exception {
    String target = "http://[::1/\u202e" + "x".repeat(8_000);
    String rejection = rejectionOf("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

    assertThat(rejection).contains("\\\\u{202e}");
    assertThat(rejection).doesNotContain("\u202e");
    assertThat(rejection).hasSizeLessThan(400);
  }

  private String rejectionOf(String request) throws IOException {
    try (Socket socket = connect()) {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      RawResponse rejected = RawResponse.read(socket.getInputStream());
      assertThat(rejected.status()).isEqualTo(400);
      assertThat(rejected.headers()).containsEntry("content-type", "application/json");
      return rejected.body();
    }
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", server.port());
    socket.setSoTimeout(30_000);
    return socket;
  }

  private static byte[] headers(String lines) {
    return ("POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + lines + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** Returns a check of the policy with a key of {@code keyLength} characters. */
  private static byte[] jsonWithKeyOf(int keyLength) {
    return ("{\"policy\": \"minute\", \"key\": \"" + "x".repeat(keyLength) + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static void writeInPieces(OutputStream out, byte[] body) throws Exception {
    for (int start = 0; start < body.length; start += PIECE_BYTES) {
      out.write(body, start, Math.min(PIECE_BYTES, body.length - start));
      out.flush();
      Thread.sleep(5);
    }
  }

  /** An HTTP/1.1 response with a Content-Length, read byte by byte off the socket. */
  private record RawResponse(int status, Map<String, String> headers, String body) {

    static RawResponse read(InputStream in) throws IOException {
      String statusLine = line(in);
      Map<String, String> headers = new HashMap<>();
      for (String header = line(in); !header.isEmpty(); header = line(in)) {
        int colon = header.indexOf(':');
        headers.put(header.substring(0, colon).trim().toLowerCase(),
            header.substring(colon + 1).trim());
      }
      byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
      return new RawResponse(Integer.parseInt(statusLine.split(" ")[1]), headers,
          new String(body, StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          throw new IOException("connection closed in the middle of a response");
        }
        if (b != '\r') {
          line.write(b);
        }
      }
      return line.toString(StandardCharsets.US_ASCII);
    }
  }
}
