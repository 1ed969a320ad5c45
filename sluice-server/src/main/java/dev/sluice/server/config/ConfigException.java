package dev.sluice.server.config;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A config file that cannot be used: unreadable, not valid YAML, or with a field that breaks a
 * rule. The message starts with the file and the line, such as
 * {@code config.yaml:7: limit must be at least 1, got 0}. The file name and the problem are
 * escaped by {@link MessageText#escape(String)}, so that a name or a value with line breaks or
 * terminal escape sequences gives a message of one line, whether it is printed or logged.
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
   * @param problem what is wrong, naming the field, the rule and the bad value, unescaped
   */
  public ConfigException(String file, int line, String problem) {
    this(file, line, problem, MessageText::escape);
  }

  private ConfigException(
      String file, int line, String problem, UnaryOperator<String> escapeProblem) {
    super(format(MessageText.escape(Objects.requireNonNull(file, "file")), line,
        escapeProblem.apply(Objects.requireNonNull(problem, "problem"))));
    this.file = file;
    this.line = line;
    this.problem = escapeProblem.apply(problem);
  }

  /**
   * Creates the exception for a problem that quotes values already escaped as by
   * {@link MessageText#escape(String)}, such as the error of {@code Limit.withName}, so that
   * they are not escaped twice.
   */
  static ConfigException ofEscapedProblem(String file, int line, String problem) {
    return new ConfigException(file, line, problem, UnaryOperator.identity());
  }

  /** The config file as the operator named it, unescaped. */
  public String file() {
    return file;
  }

  /** The 1-based line of the bad value, or 0 when no line applies. */
  public int line() {
    return line;
  }

  /** The problem without the file and line, escaped as in the message. */
  public String problem() {
    return problem;
  }

  /** Formats the message. An empty file name prints as {@code ''}, so that it stays visible. */
  private static String format(String file, int line, String problem) {
    String shownFile = file.isEmpty() ? "''" : file;
    return line > 0 ? shownFile + ":" + line + ": " + problem : shownFile + ": " + problem;
  }
}
