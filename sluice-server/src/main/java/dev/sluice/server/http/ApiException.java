package dev.sluice.server.http;

import dev.sluice.server.config.MessageText;

/**
 * A request the API rejects, with the HTTP status and the request field at fault. The handler
 * turns it into a JSON body {@code {"error": message, "field": field}}. Both are escaped by
 * {@link MessageText#escape(String)}, so that text from the request cannot put line breaks or
 * terminal escape sequences into the response or the debug log.
 */
final class ApiException extends Exception {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String field;

  /**
   * Creates the exception.
   *
   * @param field the request field at fault, such as {@code cost}, or {@code null} when the
   *     problem is not about one field; unescaped
   * @param message what is wrong, unescaped
   */
  ApiException(int status, String field, String message) {
    super(MessageText.escape(message), null, false, false);
    this.status = status;
    this.field = field == null ? null : MessageText.escape(field);
  }

  static ApiException badRequest(String field, String message) {
    return new ApiException(400, field, message);
  }

  int status() {
    return status;
  }

  /** The request field at fault, or {@code null}. */
  String field() {
    return field;
  }
}
