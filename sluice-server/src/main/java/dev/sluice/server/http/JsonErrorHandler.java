package dev.sluice.server.http;

import dev.sluice.server.config.MessageText;
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

  private static final int MAX_PARSER_MESSAGE = 200;

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
   * Request". Jetty reports a request it cannot parse that way, such as a bad percent-escape
   * in the target or a {@code Content-Length} beyond a long, with the parser's exception as
   * the cause of the cause. Its message can repeat what the client sent, so it is escaped and
   * cut to {@value #MAX_PARSER_MESSAGE} characters.
   */
  private static String detail(String message, Throwable cause) {
    Throwable parserError = cause == null ? null : cause.getCause();
    if (parserError == null || message == null || !message.equals(HttpStatus.getMessage(400))) {
      return message;
    }
    String parserMessage = parserError.getMessage();
    if (parserMessage == null || parserMessage.isBlank()) {
      return "the request cannot be parsed";
    }
    // Jetty 12.1's messages for a '%' followed by other than two hex digits.
    if (parserMessage.startsWith("!hex") || parserMessage.contains("% encoding")) {
      return "the request target has a '%' that is not followed by two hex digits";
    }
    String shortened = parserMessage.length() > MAX_PARSER_MESSAGE
        ? parserMessage.substring(0, MAX_PARSER_MESSAGE) + "..."
        : parserMessage;
    return "the request cannot be parsed (" + MessageText.escape(shortened) + ")";
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
