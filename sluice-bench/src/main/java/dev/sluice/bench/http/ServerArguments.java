package dev.sluice.bench.http;

/**
 * The command line of both benchmark servers: {@code [port] [seconds]}. The server stops by
 * itself after {@code seconds} (default 120), so that a forgotten load test cannot run on.
 */
record ServerArguments(int port, long seconds) {

  static ServerArguments parse(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 18090;
    long seconds = args.length > 1 ? Long.parseLong(args[1]) : 120;
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("port must be 1 to 65535, got " + port);
    }
    if (seconds < 1) {
      throw new IllegalArgumentException("seconds must be at least 1, got " + seconds);
    }
    return new ServerArguments(port, seconds);
  }
}
