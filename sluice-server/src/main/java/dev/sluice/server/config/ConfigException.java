package dev.sluice.server.config;

import java.util.Objects;

/**
 * A config file that cannot be used: unreadable, not valid YAML, or with a field that breaks a
 * rule. The message starts with the file and the line, such as
 * {@code config.yaml:7: limit must be at least 1, got 0}.
 */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String file;
  private final int line;
  private final String problem;

  /**
   * Creates the exception.
   *
   * @param file the config file as the operator named it
   * @param line the 1-based line of the bad value, or 0 when no line applies (unreadable file)
   * @param problem what is wrong, naming the field, the rule and the bad value
   */
  public ConfigException(String file, int line, String problem) {
    super(format(file, line, problem));
    this.file = Objects.requireNonNull(file, "file");
    this.line = line;
    this.problem = Objects.requireNonNull(problem, "problem");
  }

  /** The config file as the operator named it. */
  public String file() {
    return file;
  }

  /** The 1-based line of the bad value, or 0 when no line applies. */
  public int line() {
    return line;
  }

  /** What is wrong, without the file and line. */
  public String problem() {
    return problem;
  }

  private static String format(String file, int line, String problem) {
    return line > 0 ? file + ":" + line + ": " + problem : file + ": " + problem;
  }
}
