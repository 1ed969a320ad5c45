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
    Content.Sink.write(response, true, body(code, detail(message, cause)), callback);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, "application/json");
    return ByteBuffer.wrap(body(status, reason).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Returns Jetty's message, or what its parser found wrong where Jetty gives only "Bad
   * Request". Jetty reports a request target that it cannot parse that way, with the parser's
   * exception as the cause of the cause.
   */
  private static String detail(String message, Throwable cause) {
    Throwable parserError = cause == null ? null : cause.getCause();
    if (parserError == null || message == null || !message.equals(HttpStatus.getMessage(400))) {
      return message;
    }
    if (parserError instanceof NumberFormatException) {
      return "the request target has a '%' that is not followed by two hex digits";
    }
    String parserMessage = parserError.getMessage();
    return parserMessage == null || parserMessage.isBlank()
        ? "the request target cannot be parsed"
        : "the request target cannot be parsed (" + parserMessage + ")";
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
