package dev.sluice.server.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * Reads request bodies without holding a thread while they arrive, and drops the rest of a
 * body that the server rejects before reading it to the end.
 *
 * <p>Responding to such a request at once and closing the connection would leave the rest of
 * the body unread. A client that is still sending then has its writes fail and its connection
 * reset, and may never read the response that explains why. Reading to the end of the body
 * keeps the connection open for the next request. A body that declares more than
 * {@link #MAX_DRAINED_BYTES}, or turns out to be longer, is not read further. Its response
 * carries {@code Connection: close}, and the client may see a reset connection.
 */
final class RequestBody {

  /**
   * The maximum bytes of a rejected body that the server reads before responding, beyond what
   * it had read when it rejected the body: 1 MiB.
   */
  static final long MAX_DRAINED_BYTES = 1024 * 1024;

  private RequestBody() {}

  /** The failure of a body longer than the maximum that {@link #readAtMost} was given. */
  static final class TooLargeException extends Exception {
    private static final long serialVersionUID = 1L;

    TooLargeException() {
      super(null, null, false, false);
    }
  }

  /**
   * Returns the whole body, or fails with {@link TooLargeException} as soon as it passes
   * {@code maxBytes}, or with the read's failure, such as the idle timeout. The request stays
   * readable after a body that is too large, so that {@link #thenRespond} can drop the rest.
   * Jetty's {@code Content.Source.asByteArrayAsync} fails the request's content instead (in
   * Jetty 12.1), which left the rest unread and reset the connection.
   */
  static CompletableFuture<byte[]> readAtMost(Request request, int maxBytes) {
    CompletableFuture<byte[]> body = new CompletableFuture<>();
    readMore(request, maxBytes, new ByteArrayOutputStream(), body);
    return body;
  }

  private static void readMore(Request request, int maxBytes, ByteArrayOutputStream read,
      CompletableFuture<byte[]> body) {
    while (true) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        request.demand(() -> readMore(request, maxBytes, read, body));
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        body.completeExceptionally(chunk.getFailure());
        return;
      }
      ByteBuffer bytes = chunk.getByteBuffer();
      if (read.size() + bytes.remaining() > maxBytes) {
        chunk.release();
        body.completeExceptionally(new TooLargeException());
        return;
      }
      byte[] copy = new byte[bytes.remaining()];
      bytes.get(copy);
      read.writeBytes(copy);
      boolean last = chunk.isLast();
      chunk.release();
      if (last) {
        body.complete(read.toByteArray());
        return;
      }
    }
  }

  /** How much of a request body the handler had read when it rejected the request. */
  enum Read {
    /**
     * Nothing. A client that waits for {@code 100 Continue} has then sent nothing, and reading
     * now would request the whole body.
     */
    NONE,
    /** Part of the body, or all of it. */
    PART,
    /**
     * A read failed, as at the idle timeout. Jetty 12 returns such a failure from one read
     * only, so reading on would wait for a second idle timeout.
     */
    FAILED
  }

  /**
   * Runs {@code respond} once the rest of the body has been read, at once when there is none,
   * or when the body is too long to read or can no longer be read. In the last two cases the
   * response closes the connection.
   */
  static void thenRespond(Request request, Response response, Read read, Runnable respond) {
    boolean awaitsContinue = read == Read.NONE
        && request.getHeaders().contains(HttpHeader.EXPECT, HttpHeaderValue.CONTINUE.asString());
    if (read == Read.FAILED || awaitsContinue || request.getLength() > MAX_DRAINED_BYTES) {
      closeAfter(response);
      respond.run();
      return;
    }
    drain(request, response, MAX_DRAINED_BYTES, respond);
  }

  /**
   * Reads what has arrived, then registers to be called again when more arrives, so that no
   * thread waits for a slow client. Stops at the end of the body, at a failure such as the idle
   * timeout, or when more than {@code budget} bytes would have been read.
   */
  private static void drain(Request request, Response response, long budget, Runnable respond) {
    long left = budget;
    while (true) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        long remaining = left;
        request.demand(() -> drain(request, response, remaining, respond));
        return;
      }
      boolean failed = Content.Chunk.isFailure(chunk);
      boolean end = chunk.isLast() || failed;
      left -= chunk.remaining();
      chunk.release();
      // After a failure, such as the idle timeout, the connection cannot carry another request.
      if (failed || (!end && left < 0)) {
        closeAfter(response);
      }
      if (end || left < 0) {
        respond.run();
        return;
      }
    }
  }

  private static void closeAfter(Response response) {
    response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
  }
}
