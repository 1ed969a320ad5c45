package dev.sluice.server.replay;

/**
 * The fields of one access log line that a replay needs.
 *
 * @param client the first field, the remote host or address
 * @param epochNanos the time of the request in nanoseconds since the Unix epoch
 * @param path the request target without its query string, or {@code -} when the request is
 *     missing or damaged
 */
record LogEntry(String client, long epochNanos, String path) {

  /** The path of a line whose request cannot be read. */
  static final String NO_PATH = "-";
}
