package dev.sluice.server.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Writes the errors Jetty raises before a request reaches {@link SluiceHandler} (an ambiguous
 * URI, an oversized header, an unsupported HTTP version) in the API's JSON error format rather
 * than as an HTML page, so that every response body of the service is JSON.
 */
final class JsonErrorHandler extends ErrorHandler {

  @Override
  protected void generateResponse(
      Request request, Response response, int code, String message, Throwable cause,
      Callback callback) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    Content.Sink.write(response, true, body(code, message), callback);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, "application/json");
    return ByteBuffer.wrap(body(status, reason).getBytes(StandardCharsets.UTF_8));
  }

  private static String body(int status, String message) {
    String reason = HttpStatus.getMessage(status);
    String detail = message == null || message.isBlank() || message.equals(reason)
        ? ""
        : ": " + message;
    return JsonBodies.error("request rejected by the HTTP layer (" + status + " " + reason + ")"
        + detail, null);
  }
}
