package dev.sluice.server.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions.ScalarStyle;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads typed values out of a composed YAML node tree, and turns every mismatch into a
 * {@link ConfigException} that carries the file and the line of the offending node.
 */
final class NodeReader {

  /** Decimal integers without YAML 1.1's {@code _} separators, octal or hexadecimal forms. */
  private static final Pattern DECIMAL = Pattern.compile("[-+]?(0|[1-9][0-9]*)");

  /**
   * The longest number parsed as a {@link BigInteger} or {@link BigDecimal}. Any longer integer
   * is far beyond a {@code long}, and JDK 17 takes about 15 s to parse a million digits.
   */
  private static final int MAX_NUMBER_LENGTH = 40;

  /** SnakeYAML's default resolver, as the loader's {@code Yaml} instance uses it. */
  private static final Resolver RESOLVER = new Resolver();

  private final String file;

  NodeReader(String file) {
    this.file = file;
  }

  /**
   * Resolves a path written in the config against the directory of the config file, or the
   * working directory when the file name has no directory.
   *
   * @throws java.nio.file.InvalidPathException if {@code path} is not a valid path
   */
  Path resolve(String path) {
    return Path.of(file).resolveSibling(path);
  }

  ConfigException error(Node node, String problem) {
    return new ConfigException(file, line(node), problem);
  }

  /** Returns the error for a problem whose quoted values are already escaped, as it is. */
  ConfigException escapedError(Node node, String problem) {
    return ConfigException.ofEscapedProblem(file, line(node), problem);
  }

  static int line(Node node) {
    return node.getStartMark().getLine() + 1;
  }

  /**
   * Returns the values of a mapping by key, in file order.
   *
   * @param owner the mapping as named in messages, such as {@code limit}
   * @param allowed the accepted keys, or an empty list to accept any key
   */
  Map<String, Node> fields(Node node, String owner, List<String> allowed) {
    if (!(node instanceof MappingNode mapping)) {
      throw error(node, owner + " must be a mapping, got " + describe(node));
    }
    Map<String, Node> fields = new LinkedHashMap<>();
    for (NodeTuple tuple : mapping.getValue()) {
      String key = text(tuple.getKeyNode(), "a key in " + owner);
      if (!allowed.isEmpty() && !allowed.contains(key)) {
        throw error(tuple.getKeyNode(), "unknown field '" + MessageText.truncate(key) + "' in "
            + owner
            + ", expected one of " + String.join(", ", allowed));
      }
      if (fields.putIfAbsent(key, tuple.getValueNode()) != null) {
        throw error(tuple.getKeyNode(),
            "duplicate key '" + MessageText.truncate(key) + "' in " + owner
                + "; each key may appear once");
      }
    }
    return fields;
  }

  /** Returns the field, or raises an error at {@code parent} naming the missing field. */
  Node required(Map<String, Node> fields, String field, Node parent, String owner) {
    Node value = fields.get(field);
    if (value == null) {
      throw error(parent, owner + " is missing the required field '" + field + "'");
    }
    return value;
  }

  /** Returns the items of a list. */
  List<Node> items(Node node, String field) {
    if (!(node instanceof SequenceNode sequence)) {
      throw error(node, field + " must be a list, got " + describe(node));
    }
    return sequence.getValue();
  }

  /** Returns the text of a non-empty scalar, such as a name or an enum value. */
  String text(Node node, String field) {
    if (!(node instanceof ScalarNode scalar) || scalar.getTag().equals(Tag.NULL)) {
      throw error(node, field + " must be a single value, got " + describe(node));
    }
    return scalar.getValue();
  }

  /**
   * Returns {@code true} or {@code false}, written plainly; YAML's other spellings of a
   * boolean, such as {@code yes} or {@code on}, quoted text and other tags are rejected.
   */
  boolean bool(Node node, String field) {
    if (node instanceof ScalarNode scalar && scalar.getScalarStyle() == ScalarStyle.PLAIN
        && scalar.getTag().equals(Tag.BOOL)
        && (scalar.getValue().equals("true") || scalar.getValue().equals("false"))) {
      return scalar.getValue().equals("true");
    }
    throw error(node, field + " must be true or false, got " + describe(node));
  }

  /**
   * Returns a whole number between {@code min} and {@code max} written as a plain decimal
   * integer; quoted numbers, fractions and YAML's octal or hexadecimal forms are rejected.
   */
  long wholeNumber(Node node, String field, long min, long max) {
    boolean isInteger = node instanceof ScalarNode scalar
        && scalar.getTag().equals(Tag.INT)
        && DECIMAL.matcher(scalar.getValue()).matches();
    if (!isInteger) {
      rejectFloatAbove(node, field, max);
      throw error(node, field + " must be a whole number, got " + describe(node)
          + separatorHint(node));
    }
    String text = ((ScalarNode) node).getValue();
    if (text.length() > MAX_NUMBER_LENGTH) {
      String bound = text.startsWith("-") ? " at least " + min : " at most " + max;
      throw error(node, field + " must be" + bound + ", got a number of " + text.length()
          + " characters");
    }
    try {
      return WholeNumberParser.parse(text, field, min, max);
    } catch (IllegalArgumentException e) {
      throw error(node, e.getMessage());
    }
  }

  /**
   * Reports a number written as a float, such as {@code 1e30}, that is above {@code max} as
   * too large rather than as a wrong type, because its size is the first thing to fix.
   */
  private void rejectFloatAbove(Node node, String field, long max) {
    if (!(node instanceof ScalarNode scalar) || !scalar.getTag().equals(Tag.FLOAT)
        || scalar.getScalarStyle() != ScalarStyle.PLAIN
        || scalar.getValue().length() > MAX_NUMBER_LENGTH) {
      return;
    }
    BigDecimal value;
    try {
      value = new BigDecimal(scalar.getValue());
    } catch (NumberFormatException notPlainDecimal) {
      // YAML floats such as .inf, 1_000.5 or 1:30.5 are reported as not a whole number.
      return;
    }
    if (value.compareTo(BigDecimal.valueOf(max)) > 0) {
      throw error(node, field + " must be at most " + max + ", got " + scalar.getValue());
    }
  }

  private static String separatorHint(Node node) {
    boolean hasSeparator = node instanceof ScalarNode scalar
        && scalar.getScalarStyle() == ScalarStyle.PLAIN
        && scalar.getValue().contains("_");
    return hasSeparator ? "; write it without '_' separators" : "";
  }

  /**
   * Returns a duration in the syntax of {@link DurationParser}, such as {@code 60s}, of at most
   * {@link DurationParser#MAX}.
   */
  Duration duration(Node node, String field) {
    return duration(node, field, DurationParser.MAX);
  }

  /** Returns a duration in the syntax of {@link DurationParser} of at most {@code max}. */
  Duration duration(Node node, String field, Duration max) {
    if (!(node instanceof ScalarNode scalar) || scalar.getTag().equals(Tag.NULL)) {
      throw error(node,
          field + " must be a duration such as 500ms or 60s, got " + describe(node));
    }
    try {
      return DurationParser.parse(scalar.getValue(), field, max);
    } catch (IllegalArgumentException e) {
      throw error(node, e.getMessage());
    }
  }

  /**
   * Describes a node for messages, such as {@code a list}, {@code 'ten'} or
   * {@code '5' tagged !!float}. The tag is named when the file gives one that differs from the
   * tag the text would get without it, because the tag, not the text, is then what is wrong.
   */
  static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    ScalarNode scalar = (ScalarNode) node;
    if (scalar.getTag().equals(Tag.NULL)) {
      return "an empty value";
    }
    String quoted = "'" + MessageText.truncate(scalar.getValue()) + "'";
    if (scalar.getScalarStyle() != ScalarStyle.PLAIN) {
      quoted = "the quoted text " + quoted;
    }
    return quoted + explicitTag(scalar);
  }

  /**
   * Returns {@code " tagged !!float"} for a scalar whose tag differs from the one its text
   * resolves to, else nothing.
   */
  private static String explicitTag(ScalarNode scalar) {
    boolean plain = scalar.getScalarStyle() == ScalarStyle.PLAIN;
    Tag implicit = RESOLVER.resolve(NodeId.scalar, scalar.getValue(), plain);
    if (scalar.getTag().equals(implicit)) {
      return "";
    }
    String tag = scalar.getTag().getValue();
    return " tagged " + (tag.startsWith(Tag.PREFIX)
        ? "!!" + tag.substring(Tag.PREFIX.length())
        : tag);
  }
}
