package dev.sluice.server.replay;

/** The fields of a log line that make the key a replay limits. */
public enum KeyMode {
  /** The client address, the first field of the line. */
  CLIENT("client"),
  /** The request path without its query string, {@code -} when the request is damaged. */
  PATH("path"),
  /** The client and the path separated by one space, such as {@code 10.0.0.1 /login}. */
  CLIENT_PATH("client+path");

  private final String configName;

  KeyMode(String configName) {
    this.configName = configName;
  }

  /** The name used on the command line, such as {@code client+path}. */
  public String configName() {
    return configName;
  }

  /**
   * Parses {@code client}, {@code path} or {@code client+path}.
   *
   * @throws IllegalArgumentException naming the bad value and the accepted ones
   */
  public static KeyMode fromConfigName(String name) {
    for (KeyMode mode : values()) {
      if (mode.configName.equals(name)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "unknown key mode '" + name + "', expected client, path or client+path");
  }

  /** Returns the key of a log entry. */
  String keyOf(LogEntry entry) {
    return switch (this) {
      case CLIENT -> entry.client();
      case PATH -> entry.path();
      case CLIENT_PATH -> entry.client() + " " + entry.path();
    };
  }

  @Override
  public String toString() {
    return configName;
  }
}
