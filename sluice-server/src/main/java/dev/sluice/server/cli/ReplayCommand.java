package dev.sluice.server.cli;

import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.DurationParser;
import dev.sluice.server.config.MessageText;
import dev.sluice.server.config.WholeNumberParser;
import dev.sluice.server.replay.CompressedFormat;
import dev.sluice.server.replay.KeyMode;
import dev.sluice.server.replay.LogReplayer;
import dev.sluice.server.replay.ReplayResult;
import dev.sluice.server.replay.ReplaySummary;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice replay}: replays an access log through a policy given by flags or taken from a
 * config file, and prints what the policy would have admitted, delayed and denied.
 *
 * <p>Invalid arguments, an unreadable log or config, and a decisions file in a missing
 * directory, that is a directory, or that is the log or the config, end the command with one
 * line on standard error and exit code 2, before anything is replayed. A failure while writing
 * the decisions file or the summary ends it with exit code 1.
 */
@Command(
    name = "replay",
    sortOptions = false,
    description = {
      "Replays a Common or Combined Log Format access log through a policy, on a clock read"
          + " from the log's timestamps, and reports what the policy would have done.",
      "Give the limit with --limit and --period (and optionally --algorithm, --burst, --mode),"
          + " or take a policy from a config file with --config and --policy."
    },
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:the replay finished",
      "1:writing the decisions file or the summary failed",
      "2:invalid arguments, the log or config cannot be read, the log is compressed, or the"
          + " decisions file is in a missing directory, is a directory, or is the log or config"
    })
public final class ReplayCommand implements Callable<Integer> {

  /** The name of the policy built from --algorithm, --limit, --period, --burst and --mode. */
  static final String FLAG_POLICY_NAME = "replay";

  private static final int EXIT_OK = 0;
  private static final int EXIT_WRITE_FAILED = 1;
  private static final int EXIT_USAGE = 2;

  /** The LOG argument that names standard input. */
  private static final String STANDARD_INPUT = "-";

  /**
   * The system property that the {@code sluice} launcher sets when it was started with standard
   * input closed. The JVM would then have given descriptor 0 to a file of its own, so {@code -}
   * has no log to read. Started with {@code java -jar} and input closed, the replay cannot tell.
   */
  public static final String STANDARD_INPUT_CLOSED = "sluice.stdin.closed";

  /**
   * The {@code --decisions} value that would name standard output by the same convention. It is
   * rejected, because the summary is written there.
   */
  private static final String STANDARD_OUTPUT = "-";

  @Spec private CommandSpec spec;

  @Parameters(
      paramLabel = "LOG",
      arity = "1..*",
      hideParamSyntax = true,
      description = "The access log to replay: a file, a named pipe, or - for standard"
          + " input.")
  private List<Path> logs;

  private Path log;

  @Option(
      names = "--algorithm",
      paramLabel = "A",
      description = "fixed_window, sliding_log, sliding_window, token_bucket, leaky_bucket or"
          + " gcra; default token_bucket.")
  private String algorithm;

  @Option(names = "--limit", paramLabel = "N", description = "Requests admitted per period.")
  private String limit;

  @Option(
      names = "--period",
      paramLabel = "D",
      description = "The period: a whole number and ms, s, m, h or d, such as 60s.")
  private String period;

  @Option(
      names = "--burst",
      paramLabel = "B",
      description = "Requests admissible at once, for token_bucket, leaky_bucket and gcra"
          + " only; default the limit.")
  private String burst;

  @Option(
      names = "--mode",
      paramLabel = "shape|police",
      description = "For leaky_bucket only: shape delays admitted requests, police does"
          + " not; default police.")
  private String mode;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "A config file to take the policy from, with --policy.")
  private Path config;

  @Option(names = "--policy", paramLabel = "NAME", description = "The policy in --config.")
  private String policyName;

  @Option(
      names = "--key",
      paramLabel = "client|path|client+path",
      defaultValue = "client",
      description = "What each limit applies to: the client address, the request path without"
          + " its query string, or both; default client.")
  private String key;

  @Option(
      names = "--decisions",
      paramLabel = "FILE",
      description = "Also write one CSV row per event, in log order:"
          + " line,key,allowed,delay_ms,retry_after_ms. FILE must be a path, not - for"
          + " standard output, because the summary is written there.")
  private Path decisions;

  @Option(names = "--json", description = "Print the summary as one JSON object.")
  private boolean json;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  private boolean help;

  @Override
  public Integer call() {
    log = oneLog();
    PrintWriter err = spec.commandLine().getErr();
    ReplayResult result;
    try {
      Policy policy = policy();
      KeyMode keyMode = keyMode();
      requireWritableDecisions();
      result = replay(policy, keyMode);
    } catch (InvalidInputException e) {
      err.println("sluice replay: " + e.getMessage());
      err.flush();
      return EXIT_USAGE;
    }
    if (decisions != null && !writeDecisions(result, err)) {
      return EXIT_WRITE_FAILED;
    }
    if (!printSummary(result.summary())) {
      err.println("sluice replay: failed to write the summary to standard output");
      err.flush();
      return EXIT_WRITE_FAILED;
    }
    // Only malformed lines read like a replay of nothing, which the warning explains.
    if (result.summary().events() == 0 && result.summary().malformed() > 0) {
      err.println("sluice replay: warning: none of the " + result.summary().malformed()
          + " lines of " + (readsStandardInput() ? "standard input" : log) + " is an access"
          + " log line in the Common or Combined Log Format, so nothing was replayed");
      err.flush();
    }
    return EXIT_OK;
  }

  /**
   * Returns the one log file. Picocli takes any number, so that two files get this message and
   * not a report of an unmatched argument.
   */
  private Path oneLog() {
    if (logs.size() != 1) {
      List<String> names = logs.stream().map(Path::toString).toList();
      throw new ParameterException(spec.commandLine(), "expected one LOG file, got "
          + logs.size() + ": " + String.join(" ", names));
    }
    return logs.get(0);
  }

  private Policy policy() {
    if (config != null) {
      return configPolicy();
    }
    if (policyName != null) {
      throw new InvalidInputException("--policy " + policyName + " needs --config FILE");
    }
    if (limit == null || period == null) {
      String missing = limit == null && period == null
          ? "--limit and --period are"
          : (limit == null ? "--limit is" : "--period is");
      throw new InvalidInputException(
          missing + " required unless --config and --policy are given");
    }
    try {
      return Policy.of(FLAG_POLICY_NAME, flagLimit());
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(e.getMessage());
    }
  }

  private Limit flagLimit() {
    Algorithm chosen = algorithm == null
        ? Algorithm.TOKEN_BUCKET
        : parsedByCore(() -> Algorithm.fromConfigName(algorithm));
    rejectFlagsForOtherAlgorithms(chosen);
    Duration parsedPeriod = DurationParser.parse(period, "--period", Limit.MAX_PERIOD);
    if (parsedPeriod.toMillis() < 1) {
      throw new IllegalArgumentException("--period must be at least 1ms, got " + period);
    }
    Mode chosenMode = mode == null ? Mode.POLICE : parsedByCore(() -> Mode.fromConfigName(mode));
    long parsedLimit = wholeNumber(limit, "--limit");
    long parsedBurst = burst == null ? parsedLimit : wholeNumber(burst, "--burst");
    return Limit.of(chosen, parsedLimit, parsedPeriod)
        .withBurst(parsedBurst)
        .withMode(chosenMode);
  }

  /**
   * Runs a parser of the core, whose error escapes the value it quotes, and reports that error
   * without escaping it twice.
   */
  private static <T> T parsedByCore(Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw InvalidInputException.of(e);
    }
  }

  /**
   * Rejects {@code --burst} on a window algorithm and {@code --mode} on any algorithm but
   * leaky_bucket, whatever their values, as a config file rejects its {@code burst} and
   * {@code mode} keys there.
   */
  private void rejectFlagsForOtherAlgorithms(Algorithm chosen) {
    String chosenName = algorithm == null ? chosen + " (the default)" : chosen.toString();
    if (burst != null && !chosen.hasBurst()) {
      throw new IllegalArgumentException("--burst applies only to token_bucket, leaky_bucket"
          + " and gcra, but the algorithm is " + chosenName);
    }
    if (mode != null && chosen != Algorithm.LEAKY_BUCKET) {
      throw new IllegalArgumentException(
          "--mode applies only to leaky_bucket, but the algorithm is " + chosenName);
    }
  }

  /**
   * Parses a flag value here rather than in picocli, so that its error is one line too. A
   * well-formed number out of range is reported with its bound and the flag's name, not as a
   * wrong type.
   */
  private static long wholeNumber(String text, String flag) {
    if (!text.matches("-?[0-9]{1,40}")) {
      throw new IllegalArgumentException(flag + " must be a whole number, got '" + text + "'");
    }
    return WholeNumberParser.parse(text, flag, 1, Limit.MAX_UNITS);
  }

  private Policy configPolicy() {
    if (config.toString().isEmpty()) {
      throw new InvalidInputException("--config must name a YAML file, got an empty value");
    }
    List<String> limitFlags = givenLimitFlags();
    if (!limitFlags.isEmpty()) {
      throw new InvalidInputException(
          "--config takes the limits from the config file, so it cannot be combined with "
              + String.join(", ", limitFlags));
    }
    if (policyName == null) {
      throw new InvalidInputException("--config needs --policy NAME to choose a policy");
    }
    Map<String, Policy> loaded;
    try {
      // A replay uses no store, so the config's store settings do not apply.
      loaded = ConfigLoader.loadPolicies(config);
    } catch (ConfigException e) {
      throw InvalidInputException.of(e);
    }
    Policy policy = loaded.get(policyName);
    if (policy == null) {
      throw new InvalidInputException(
          "policy '" + MessageText.truncate(policyName) + "' not found in " + config
              + ", expected one of " + MessageText.list(loaded.keySet()));
    }
    return policy;
  }

  private List<String> givenLimitFlags() {
    List<String> flags = new ArrayList<>();
    if (algorithm != null) {
      flags.add("--algorithm");
    }
    if (limit != null) {
      flags.add("--limit");
    }
    if (period != null) {
      flags.add("--period");
    }
    if (burst != null) {
      flags.add("--burst");
    }
    if (mode != null) {
      flags.add("--mode");
    }
    return flags;
  }

  private KeyMode keyMode() {
    try {
      return KeyMode.fromConfigName(key);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(e.getMessage());
    }
  }

  /** Fails before the replay, rather than after it, when the decisions file cannot be made. */
  private void requireWritableDecisions() {
    if (decisions == null) {
      return;
    }
    if (decisions.toString().isEmpty()) {
      throw new InvalidInputException(
          "--decisions must name a file to write, got an empty value");
    }
    if (decisions.toString().equals(STANDARD_OUTPUT)) {
      throw new InvalidInputException("--decisions cannot be '-' (standard output), because"
          + " the summary is written there. Give a file path such as decisions.csv, or ./- for"
          + " a file named -");
    }
    if (Files.isDirectory(decisions)) {
      throw new InvalidInputException(
          "--decisions " + decisions + " is a directory, expected a file to write");
    }
    Path directory = decisions.toAbsolutePath().getParent();
    if (directory != null && !Files.isDirectory(directory)) {
      throw new InvalidInputException(
          "--decisions " + decisions + ": directory " + directory + " not found");
    }
    if (!readsStandardInput()) {
      rejectSameFile(log, "log");
    }
    if (config != null) {
      rejectSameFile(config, "--config file");
    }
  }

  /** Rejects a decisions file that would overwrite {@code input}, before anything is written. */
  private void rejectSameFile(Path input, String inputName) {
    if (sameFile(decisions, input)) {
      throw new InvalidInputException("--decisions " + decisions + " is the same file as the "
          + inputName + " " + input + ", expected a different file to write");
    }
  }

  /**
   * Compares normalized absolute paths, then uses Files.isSameFile when both files exist, so
   * that links and other spellings of one file match too.
   */
  private static boolean sameFile(Path a, Path b) {
    if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
      return true;
    }
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return false;
    }
  }

  private boolean readsStandardInput() {
    return log.toString().equals(STANDARD_INPUT);
  }

  private ReplayResult replay(Policy policy, KeyMode keyMode) {
    if (log.toString().isEmpty()) {
      throw new InvalidInputException(
          "log must name a file, or - for standard input, got an empty value");
    }
    if (readsStandardInput() && Boolean.getBoolean(STANDARD_INPUT_CLOSED)) {
      throw new InvalidInputException("log is -, but standard input is closed; pipe the log in,"
          + " or give the log file's path instead of -");
    }
    if (!readsStandardInput() && Files.isDirectory(log)) {
      throw new InvalidInputException("log " + log + " is a directory, expected a file");
    }
    String source = readsStandardInput() ? "standard input" : "log file " + log;
    try (Reader reader = openLog()) {
      return new LogReplayer(policy, keyMode).replay(reader);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException("log file not found: " + log);
    } catch (AccessDeniedException e) {
      throw new InvalidInputException("cannot read " + source + ": permission denied");
    } catch (IOException e) {
      throw new InvalidInputException("cannot read " + source + ": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(
          (readsStandardInput() ? "standard input" : log) + ": " + e.getMessage());
    }
  }

  /**
   * Opens the log as UTF-8, replacing invalid bytes rather than failing, because access logs
   * may hold bytes of any encoding and only the client and path are read from them.
   */
  private Reader openLog() throws IOException {
    BufferedInputStream in = new BufferedInputStream(openLogBytes());
    try {
      rejectCompressed(in);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
    return new InputStreamReader(in, StandardCharsets.UTF_8);
  }

  /**
   * Opens standard input, which the replay leaves open because the JVM owns it, or the log
   * file, also when it is a named pipe.
   */
  private InputStream openLogBytes() throws IOException {
    if (readsStandardInput()) {
      return new FilterInputStream(System.in) {
        @Override
        public void close() {}
      };
    }
    return new PipeSafeInputStream(Files.newInputStream(log));
  }

  /**
   * Rejects a compressed log, whose lines would all count as malformed, by its first bytes. The
   * stream is then reset to its start, so the replay still reads the whole log as a stream.
   */
  private void rejectCompressed(BufferedInputStream in) throws IOException {
    in.mark(CompressedFormat.SIGNATURE_BYTES);
    byte[] head = in.readNBytes(CompressedFormat.SIGNATURE_BYTES);
    in.reset();
    Optional<CompressedFormat> format = CompressedFormat.detect(head);
    if (format.isEmpty()) {
      return;
    }
    if (readsStandardInput()) {
      throw new InvalidInputException("standard input is " + format.get().displayName()
          + "-compressed, expected text; pipe it through " + format.get().decompressProgram()
          + " first");
    }
    // A pipe, such as /dev/stdin or <(cat log.gz), cannot be decompressed into a file by name.
    if (!Files.isRegularFile(log)) {
      throw new InvalidInputException("log " + log + " is " + format.get().displayName()
          + "-compressed, expected text; pipe it through " + format.get().decompressProgram()
          + " first");
    }
    throw new InvalidInputException("log " + log + " is " + format.get().displayName()
        + "-compressed, expected a text file; decompress it first, such as with "
        + format.get().decompressCommand(log.toString()));
  }

  /**
   * A file's input stream whose {@code available()} returns 0. In JDK 17 the stream of
   * {@code Files.newInputStream} computes {@code available()} from the file channel's position,
   * which fails with "Illegal seek" on a named pipe or {@code /dev/stdin}, and
   * {@link BufferedInputStream} calls it while reading.
   */
  private static final class PipeSafeInputStream extends FilterInputStream {
    PipeSafeInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int available() {
      return 0;
    }
  }

  private boolean writeDecisions(ReplayResult result, PrintWriter err) {
    try (Writer out = Files.newBufferedWriter(decisions, StandardCharsets.UTF_8)) {
      result.writeDecisionsCsv(out);
      return true;
    } catch (IOException e) {
      err.println(MessageText.escape(
          "sluice replay: failed to write decisions to " + decisions + ": " + e));
      err.flush();
      return false;
    }
  }

  /**
   * Prints the summary and returns false when the output stream failed, such as on a full disk
   * or a closed pipe, because PrintWriter reports such failures only through checkError.
   */
  private boolean printSummary(ReplaySummary summary) {
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? summary.toJson() : summary.toText());
    return !out.checkError();
  }

  /** Invalid arguments or unreadable input, reported as one line with exit code 2. */
  private static final class InvalidInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error, escaping the message with {@link MessageText#escape}, so that a flag
     * value or a file name with line breaks or terminal escape sequences prints as one line.
     */
    InvalidInputException(String message) {
      super(MessageText.escape(message));
    }

    private InvalidInputException(ConfigException configError) {
      super(configError.getMessage(), configError);
    }

    private InvalidInputException(IllegalArgumentException coreError) {
      super(coreError.getMessage(), coreError);
    }

    /** Reports an error of the core, whose message already escapes the values it quotes. */
    static InvalidInputException of(IllegalArgumentException coreError) {
      return new InvalidInputException(coreError);
    }

    /** Reports a config error, whose message {@link ConfigException} has already escaped. */
    static InvalidInputException of(ConfigException configError) {
      return new InvalidInputException(configError);
    }
  }
}
