package dev.sluice.server.config;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.redis.FailureMode;
import dev.sluice.store.AtCapacity;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;

/**
 * Loads a config file and checks every field, so that an invalid config stops start-up with
 * one message naming the file, the line and the problem, such as
 * {@code config.yaml:7: limit must be at least 1, got 0}. The format is documented in
 * {@code docs/configuration.md}.
 *
 * <p>The loader walks SnakeYAML's composed node tree rather than binding to Java objects, so
 * that each value still has its line and so that duplicate keys, unknown fields and wrong types
 * are reported instead of silently merged, ignored or converted.
 */
public final class ConfigLoader {

  /** The name of the embedded default config, next to this class in the jar. */
  public static final String DEFAULT_RESOURCE = "default-config.yaml";

  /**
   * The largest config file accepted: 1 MiB. A larger file is rejected before it is read,
   * because SnakeYAML 2.5 takes seconds and hundreds of megabytes to compose a file of a few MB.
   */
  public static final int MAX_FILE_BYTES = 1024 * 1024;

  private static final List<String> TOP_FIELDS = List.of("store", "policies");
  private static final List<String> MEMORY_FIELDS = List.of("max_keys", "at_capacity");
  private static final List<String> REDIS_FIELDS = List.of(
      "uri", "cluster", "key_prefix", "command_timeout", "on_failure", "local_share", "time",
      "tls_ca_file", "sentinel_password", "deny_cache");
  private static final List<String> STORE_FIELDS = List.of("type", "max_keys", "at_capacity",
      "uri", "cluster", "key_prefix", "command_timeout", "on_failure", "local_share", "time",
      "tls_ca_file", "sentinel_password", "deny_cache");
  private static final List<String> POLICY_FIELDS = List.of("limits", "on_failure");
  private static final List<String> LIMIT_FIELDS =
      List.of("name", "algorithm", "limit", "period", "burst", "mode");
  private static final List<String> ANY_KEY = List.of();
  private static final Pattern POLICY_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** The maximum length of a policy or limit name, in characters. */
  private static final int MAX_NAME_LENGTH = 64;

  private final NodeReader reader;
  private final StoreOverride storeOverride;
  private final Optional<RedisConfig> runningRedis;

  private ConfigLoader(String file, StoreOverride storeOverride) {
    this(file, storeOverride, Optional.empty());
  }

  /**
   * Creates a loader.
   *
   * @param runningRedis the settings of the running Redis store for a reload, whose
   *     {@code local_share} then also has to divide each policy that falls back to local
   *     limits. Empty at start-up or with a memory store.
   */
  private ConfigLoader(
      String file, StoreOverride storeOverride, Optional<RedisConfig> runningRedis) {
    this.reader = new NodeReader(file);
    this.storeOverride = storeOverride;
    this.runningRedis = runningRedis;
  }

  /**
   * Loads and checks the policies in {@code file} for a use without a store, such as
   * {@code sluice replay}. The {@code store} section is not read, so that a config written for
   * a server loads on a machine without its Redis CA file, and each policy's
   * {@code on_failure} is checked for its value but accepted whatever the store type.
   *
   * @return the policies by name, in the order of the file; unmodifiable
   * @throws ConfigException if the file cannot be read or its policies are invalid
   */
  public static Map<String, Policy> loadPolicies(Path file) {
    String name = file.toString();
    ConfigLoader loader = new ConfigLoader(name, StoreOverride.NONE);
    return loader.readPoliciesOnly(loader.composeRoot(readText(file), name));
  }

  /**
   * Loads and checks the config in {@code file}, which must be UTF-8 and at most
   * {@link #MAX_FILE_BYTES} long.
   *
   * @throws ConfigException if the file cannot be read or is invalid; the message names the
   *     file as given, the line and the problem
   */
  public static SluiceConfig load(Path file) {
    return load(file, StoreOverride.NONE);
  }

  /**
   * Loads and checks the config in {@code file} like {@link #load(Path)}, but replaces the
   * store settings of the file by {@code storeOverride} applied to them before it checks the
   * policies against the store. A command-line option such as {@code --redis} of
   * {@code sluice serve} thereby makes a policy's {@code on_failure} valid in a config whose
   * store is {@code memory}, and a {@code redis} store valid without {@code uri} or
   * {@code cluster}. The returned config carries the replaced store settings.
   *
   * @throws ConfigException if the file cannot be read or is invalid
   */
  public static SluiceConfig load(Path file, StoreOverride storeOverride) {
    return parse(readText(file), file.toString(), storeOverride);
  }

  /**
   * Loads and checks the config in {@code file} for a reload of a server whose store runs
   * with {@code running}. The file is checked as by {@link #load(Path, StoreOverride)},
   * because a restart would use it. A reload keeps the running store, so each policy that
   * falls back to local limits on a running Redis store is also checked against that store's
   * {@code on_failure} and {@code local_share}, with an error at the line of the limit.
   *
   * @throws ConfigException if the file cannot be read, is invalid, or has a policy that the
   *     running store cannot divide
   */
  public static SluiceConfig loadForReload(
      Path file, StoreOverride storeOverride, StoreConfig running) {
    String name = file.toString();
    ConfigLoader loader = new ConfigLoader(name, storeOverride, running.redis());
    return loader.readConfig(loader.composeRoot(readText(file), name));
  }

  /**
   * Reads a config file of at most {@link #MAX_FILE_BYTES} as UTF-8, with errors that name the
   * file and say what was expected instead of Java exception text.
   */
  private static String readText(Path file) {
    String name = file.toString();
    // An empty path resolves to the working directory, which would be reported as a directory.
    if (name.isEmpty()) {
      throw new ConfigException(name, 0, "is an empty path, expected the path of a YAML file");
    }
    if (Files.isDirectory(file)) {
      throw new ConfigException(name, 0, "is a directory, expected a YAML file");
    }
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw tooLarge(name, size + " bytes");
      }
      return decodeUtf8(readAtMostCap(file, name), name);
    } catch (NoSuchFileException e) {
      throw new ConfigException(name, 0, "not found");
    } catch (AccessDeniedException e) {
      throw new ConfigException(name, 0, "permission denied, expected a readable file");
    } catch (IOException e) {
      throw new ConfigException(name, 0, "cannot be read: " + e.getMessage());
    }
  }

  /** Reads at most one byte beyond the cap, because the file may grow after its size was read. */
  private static byte[] readAtMostCap(Path file, String name) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
      if (bytes.length > MAX_FILE_BYTES) {
        throw tooLarge(name, "more than " + MAX_FILE_BYTES + " bytes");
      }
      return bytes;
    }
  }

  private static ConfigException tooLarge(String name, String size) {
    return new ConfigException(name, 0, size + ", expected at most " + MAX_FILE_BYTES);
  }

  /** Decodes strictly, reporting the line and byte offset of the first invalid byte. */
  private static String decodeUtf8(byte[] bytes, String name) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    // UTF-8 never decodes to more UTF-16 units than it has bytes.
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (result.isError()) {
      int offset = in.position();
      throw new ConfigException(name, lineAt(bytes, offset),
          "not valid UTF-8 at byte offset " + offset + "; save the file as UTF-8");
    }
    decoder.flush(out);
    return out.flip().toString();
  }

  private static int lineAt(byte[] bytes, int offset) {
    int line = 1;
    for (int i = 0; i < offset; i++) {
      if (bytes[i] == '\n') {
        line++;
      }
    }
    return line;
  }

  /** Loads the config embedded in the jar, used when no config file is given. */
  public static SluiceConfig loadDefault() {
    return loadDefault(StoreOverride.NONE);
  }

  /**
   * Loads the embedded config with its store settings replaced as by
   * {@link #load(Path, StoreOverride)}.
   */
  public static SluiceConfig loadDefault(StoreOverride storeOverride) {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the jar lacks the resource " + DEFAULT_RESOURCE);
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return parse(text, DEFAULT_RESOURCE, storeOverride);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the resource " + DEFAULT_RESOURCE, e);
    }
  }

  /**
   * Parses and checks config text.
   *
   * @param file the name used in error messages
   * @throws ConfigException if the text is invalid
   */
  public static SluiceConfig parse(String yaml, String file) {
    return parse(yaml, file, StoreOverride.NONE);
  }

  /**
   * Parses and checks config text with its store settings replaced as by
   * {@link #load(Path, StoreOverride)}.
   *
   * @param file the name used in error messages
   * @throws ConfigException if the text is invalid
   */
  public static SluiceConfig parse(
      String yaml, String file, StoreOverride storeOverride) {
    ConfigLoader loader = new ConfigLoader(file, storeOverride);
    return loader.readConfig(loader.composeRoot(yaml, file));
  }

  private Node composeRoot(String yaml, String file) {
    Node root = compose(new StringReader(yaml), file);
    if (root == null) {
      throw new ConfigException(file, 0, "the config is empty; it must define at least policies");
    }
    return root;
  }

  private Node compose(Reader text, String file) {
    try {
      LoaderOptions options = new LoaderOptions();
      // A file within MAX_FILE_BYTES has at most that many code points.
      options.setCodePointLimit(MAX_FILE_BYTES);
      return new Yaml(options).compose(text);
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      int line = mark == null ? 0 : mark.getLine() + 1;
      String problem = e.getContext() == null
          ? e.getProblem()
          : e.getContext() + ", " + e.getProblem();
      throw new ConfigException(file, line, "invalid YAML: " + problem);
    } catch (YAMLException e) {
      throw new ConfigException(file, 0, "invalid YAML: " + e.getMessage());
    }
  }

  private SluiceConfig readConfig(Node root) {
    Map<String, Node> fields = reader.fields(root, "the config", TOP_FIELDS);
    StoreConfig fromFile = fields.containsKey("store")
        ? readStore(fields.get("store"))
        : StoreConfig.DEFAULT;
    StoreConfig store = storeOverride.apply(fromFile);
    Node policies = reader.required(fields, "policies", root, "the config");
    Map<String, Policy> byName = readPolicies(policies);
    Map<String, FailureMode> failureModes = readFailureModes(policies, store.type());
    LocalShareCheck localShares = new LocalShareCheck(reader);
    store.redis().ifPresent(
        redis -> localShares.checkLocalShares(policies, byName, failureModes, redis));
    runningRedis.ifPresent(running -> localShares.checkRunningLocalShares(
        policies, byName, failureModes, running, store));
    return new SluiceConfig(store, byName, failureModes);
  }

  private Map<String, Policy> readPoliciesOnly(Node root) {
    Map<String, Node> fields = reader.fields(root, "the config", TOP_FIELDS);
    Node policies = reader.required(fields, "policies", root, "the config");
    Map<String, Policy> byName = readPolicies(policies);
    readFailureModes(policies, null);
    return Collections.unmodifiableMap(byName);
  }

  private StoreConfig readStore(Node node) {
    Map<String, Node> fields = reader.fields(node, "store", STORE_FIELDS);
    String type = "memory";
    if (fields.containsKey("type")) {
      Node typeNode = fields.get("type");
      type = reader.text(typeNode, "type");
      if (!type.equals("memory") && !type.equals("redis")) {
        throw reader.error(typeNode, "unknown store type '" + type + "', expected memory or redis");
      }
    }
    rejectFieldsOfOtherType(fields, type);
    if (type.equals("redis")) {
      RedisConfig redis =
          new RedisConfigReader(reader).read(node, fields, storeOverride.redisServers());
      return StoreConfig.redis(redis);
    }
    long maxKeys = StoreConfig.DEFAULT.maxKeys();
    if (fields.containsKey("max_keys")) {
      maxKeys = reader.wholeNumber(fields.get("max_keys"), "max_keys", 1, Long.MAX_VALUE);
    }
    AtCapacity atCapacity = StoreConfig.DEFAULT.atCapacity();
    if (fields.containsKey("at_capacity")) {
      atCapacity = readAtCapacity(fields.get("at_capacity"));
    }
    return new StoreConfig(maxKeys, atCapacity);
  }

  /** Rejects a field of the memory store in a redis store, and the other way round. */
  private void rejectFieldsOfOtherType(Map<String, Node> fields, String type) {
    List<String> foreign = type.equals("redis") ? MEMORY_FIELDS : REDIS_FIELDS;
    String owner = type.equals("redis") ? "memory" : "redis";
    for (Map.Entry<String, Node> field : fields.entrySet()) {
      if (foreign.contains(field.getKey())) {
        throw reader.error(field.getValue(), field.getKey() + " applies only to the " + owner
            + " store, but the store type is " + type);
      }
    }
  }

  private AtCapacity readAtCapacity(Node node) {
    String name = reader.text(node, "at_capacity");
    for (AtCapacity value : AtCapacity.values()) {
      if (value.name().toLowerCase(Locale.ROOT).equals(name)) {
        return value;
      }
    }
    throw reader.error(node,
        "unknown at_capacity '" + MessageText.truncate(name)
            + "', expected evict_soonest_reset or deny_new_keys");
  }

  private Map<String, Policy> readPolicies(Node node) {
    Map<String, Node> byName = reader.fields(node, "policies", ANY_KEY);
    if (byName.isEmpty()) {
      throw reader.error(node, "policies must define at least one policy");
    }
    checkPolicyNames((MappingNode) node);
    Map<String, Policy> policies = new LinkedHashMap<>();
    byName.forEach((name, value) -> policies.put(name, readPolicy(name, value)));
    return policies;
  }

  /** Checks each policy name, reporting a bad one at its own line rather than its policy's. */
  private void checkPolicyNames(MappingNode policies) {
    for (NodeTuple tuple : policies.getValue()) {
      Node nameNode = tuple.getKeyNode();
      String name = reader.text(nameNode, "a key in policies");
      if (!POLICY_NAME.matcher(name).matches()) {
        throw reader.error(nameNode, "policy name must be 1 to 64 letters, digits, '.', '_' or"
            + " '-', got '" + MessageText.truncate(name) + "'" + lengthIfTooLong(name));
      }
    }
  }

  /** Returns {@code " (N characters)"} for a name above 64 characters, else nothing. */
  private static String lengthIfTooLong(String name) {
    int length = name.codePointCount(0, name.length());
    return length > MAX_NAME_LENGTH && length <= MessageText.MAX_QUOTED_CHARS
        ? " (" + length + " characters)"
        : "";
  }

  /**
   * Reads the {@code on_failure} of each policy that has one. It applies only to a Redis store,
   * whose {@link dev.sluice.redis.RedisStore#bind(Policy, FailureMode)} takes it.
   *
   * @param storeType the type of the store the policies will use, or {@code null} for a use
   *     without a store, which accepts {@code on_failure} with any store
   */
  private Map<String, FailureMode> readFailureModes(Node node, String storeType) {
    Map<String, FailureMode> modes = new LinkedHashMap<>();
    reader.fields(node, "policies", ANY_KEY).forEach((name, policy) -> {
      Node mode = reader.fields(policy, "policy '" + name + "'", POLICY_FIELDS).get("on_failure");
      if (mode == null) {
        return;
      }
      if (storeType != null && !storeType.equals("redis")) {
        throw reader.error(mode, "on_failure of policy '" + name + "' applies only to the redis"
            + " store, but the store type is " + storeType);
      }
      modes.put(name, new RedisConfigReader(reader).readOnFailure(mode));
    });
    return modes;
  }

  private Policy readPolicy(String name, Node node) {
    String owner = "policy '" + name + "'";
    Map<String, Node> fields = reader.fields(node, owner, POLICY_FIELDS);
    Node limitsNode = reader.required(fields, "limits", node, owner);
    List<Node> items = reader.items(limitsNode, "limits");
    if (items.isEmpty()) {
      throw reader.error(limitsNode, "limits of " + owner + " must contain at least one limit");
    }
    Set<String> names = new HashSet<>();
    Limit[] limits = new Limit[items.size()];
    for (int i = 0; i < limits.length; i++) {
      limits[i] = readLimit(items.get(i));
      if (!names.add(limits[i].name())) {
        throw reader.error(items.get(i), owner + " has two limits named '" + limits[i].name()
            + "'; give each limit its own name");
      }
    }
    return Policy.of(name, limits);
  }

  private Limit readLimit(Node node) {
    Map<String, Node> fields = reader.fields(node, "limit", LIMIT_FIELDS);
    Algorithm algorithm = readAlgorithm(reader.required(fields, "algorithm", node, "limit"));
    Node limitNode = reader.required(fields, "limit", node, "limit");
    long units = reader.wholeNumber(limitNode, "limit", 1, Limit.MAX_UNITS);
    Duration period = readPeriod(reader.required(fields, "period", node, "limit"));
    Limit limit = check(limitNode, () -> Limit.of(algorithm, units, period));

    limit = withBurst(limit, fields.get("burst"));
    limit = withMode(limit, fields.get("mode"));
    Node nameNode = fields.get("name");
    if (nameNode != null) {
      String name = reader.text(nameNode, "name");
      if (name.equals(Limit.KEY_CAP_NAME)) {
        throw reader.error(nameNode, "limit name '" + Limit.KEY_CAP_NAME + "' is reserved for"
            + " denials at the memory store's key cap; choose another name");
      }
      int length = name.codePointCount(0, name.length());
      if (length > MAX_NAME_LENGTH) {
        throw reader.error(nameNode, "limit name must be 1 to " + MAX_NAME_LENGTH
            + " characters, got " + length + ": '" + MessageText.truncate(name) + "'");
      }
      try {
        limit = limit.withName(name);
      } catch (IllegalArgumentException e) {
        // Limit escapes the name it quotes by the rules of MessageText.
        throw reader.escapedError(nameNode, e.getMessage());
      }
    }
    return limit;
  }

  private Algorithm readAlgorithm(Node node) {
    String name = reader.text(node, "algorithm");
    // Every algorithm name is short, so a truncated name matches the same ones as the whole
    // name, and an error quotes it truncated.
    return check(node, () -> Algorithm.fromConfigName(MessageText.truncate(name)));
  }

  private Duration readPeriod(Node node) {
    Duration period = reader.duration(node, "period", Limit.MAX_PERIOD);
    if (period.compareTo(Limit.MIN_PERIOD) < 0) {
      throw reader.error(node, "period must be at least 1ms, got " + reader.text(node, "period"));
    }
    return period;
  }

  /**
   * Applies {@code burst}, which only token_bucket, leaky_bucket and gcra accept. The key is
   * rejected on a window algorithm even when it equals the limit, which the core accepts,
   * because there it changes nothing and its writer probably expected a burst.
   */
  private Limit withBurst(Limit limit, Node node) {
    if (node == null) {
      return limit;
    }
    if (!limit.algorithm().hasBurst()) {
      throw reader.error(node, "burst applies only to token_bucket, leaky_bucket and gcra, but"
          + " the algorithm is " + limit.algorithm());
    }
    long burst = reader.wholeNumber(node, "burst", 1, Limit.MAX_UNITS);
    return check(node, () -> limit.withBurst(burst));
  }

  private Limit withMode(Limit limit, Node node) {
    if (node == null) {
      return limit;
    }
    if (limit.algorithm() != Algorithm.LEAKY_BUCKET) {
      throw reader.error(node,
          "mode applies only to leaky_bucket, but the algorithm is " + limit.algorithm());
    }
    String name = reader.text(node, "mode");
    // Truncated as for the algorithm, so that an error quotes a long name truncated.
    Mode mode = check(node, () -> Mode.fromConfigName(MessageText.truncate(name)));
    return limit.withMode(mode);
  }

  /**
   * Runs a core constructor and reports its rejection at the line of {@code node}. The core
   * escapes the names it quotes by the rules of MessageText, so its message is not escaped again.
   */
  private <T> T check(Node node, Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw reader.escapedError(node, e.getMessage());
    }
  }
}
