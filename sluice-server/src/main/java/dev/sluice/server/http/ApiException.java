package dev.sluice.server.http;

/**
 * A request the API rejects, with the HTTP status and the request field at fault. The handler
 * turns it into a JSON body {@code {"error": message, "field": field}}.
 */
final class ApiException extends Exception {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String field;

  /**
   * Creates the exception.
   *
   * @param field the request field at fault, such as {@code cost}, or {@code null} when the
   *     problem is not about one field
   */
  ApiException(int status, String field, String message) {
    super(message, null, false, false);
    this.status = status;
    this.field = field;
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
