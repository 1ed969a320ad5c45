package dev.sluice.server.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.server.cli.Main;
import dev.sluice.server.cli.ReplayCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Tests {@code dev.sluice.server.cli.ReplayCommand}, the {@code sluice replay} command. */
class ReplayCommandTest {

  private static final Path EXAMPLE_LOG = Path.of("..", "examples", "access-2015-05.log");

  private static final String CONFIG = """
      policies:
        api:
          limits:
            - algorithm: token_bucket
              limit: 1
              period: 1m
        login:
          limits:
            - algorithm: fixed_window
              limit: 5
              period: 1m
      """;

  @TempDir Path dir;
  private Path log;
  private Path config;

  @BeforeEach
  void writeFiles() throws IOException {
    // Line 3 is malformed. In time order: line 2 (b), line 1 (a), line 4 (a, 10 s later).
    log = dir.resolve("access.log");
    Files.writeString(log, String.join("\n",
        "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.1\" 200 1 \"-\" \"ua\"",
        "10.0.0.2 - - [10/Oct/2000:13:55:30 -0700] \"GET /b HTTP/1.1\" 200 1",
        "not a log line",
        "10.0.0.1 - - [10/Oct/2000:13:55:46 -0700] \"GET /a HTTP/1.1\" 200 1") + "\n");
    config = dir.resolve("sluice.yaml");
    Files.writeString(config, CONFIG);
  }

  private static List<String> lines(String text) {
    return text.lines().toList();
  }

  @Test
  void replay_limitFlags_printsSummary() {
    CommandRun run = CommandRun.replay(log.toString(), "--limit", "1", "--period", "60s");

    assertThat(run.exitCode()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out()).isEqualTo("""
        policy         replay
        limit          1/1m: token_bucket, 1 per 1m, burst 1
        key            client
        lines          4
        events         3
        malformed      1 (lines 3)
        distinct keys  2
        allowed        2
        delayed        0
        denied         1
        top keys by denials:
          1  10.0.0.1
        """);
  }

  @Test
  void replay_json_printsSameCounts() throws IOException {
    CommandRun run =
        CommandRun.replay(log.toString(), "--limit", "1", "--period", "60s", "--json");

    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).hasSize(1);
    JsonNode root = new ObjectMapper().readTree(run.out());
    assertThat(root.get("events").asLong()).isEqualTo(3);
    assertThat(root.get("malformed_lines").toString()).isEqualTo("[3]");
    assertThat(root.get("allowed").asLong()).isEqualTo(2);
    assertThat(root.get("denied").asLong()).isEqualTo(1);
  }

  @Test
  void replay_decisions_writesCsvInLineOrder() throws IOException {
    // 1 per minute: line 1 takes a's token; line 4, 10 s later, waits the other 50 s.
    Path decisions = dir.resolve("decisions.csv");

    CommandRun run = CommandRun.replay(log.toString(), "--limit", "1", "--period", "60s",
        "--decisions", decisions.toString());

    assertThat(run.exitCode()).isZero();
    assertThat(Files.readString(decisions)).isEqualTo("""
        line,key,allowed,delay_ms,retry_after_ms
        1,10.0.0.1,true,0,0
        2,10.0.0.2,true,0,0
        4,10.0.0.1,false,0,50000
        """);
  }

  @Test
  void replay_allLimitFlags_buildsThatLimit() {
    CommandRun run = CommandRun.replay(log.toString(), "--algorithm", "leaky_bucket",
        "--limit", "2", "--period", "1s", "--burst", "3", "--mode", "shape", "--key", "path");

    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).contains(
        "limit          2/1s: leaky_bucket, 2 per 1s, burst 3, mode shape",
        "key            path");
  }

  @Test
  void replay_configPolicy_usesItsLimits() {
    CommandRun run = CommandRun.replay(
        log.toString(), "--config", config.toString(), "--policy", "login");

    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).contains(
        "policy         login",
        "limit          5/1m: fixed_window, 5 per 1m",
        "allowed        3");
  }

  @Test
  void replay_twice_printsAndWritesIdenticalBytes() throws IOException {
    Path first = dir.resolve("first.csv");
    Path second = dir.resolve("second.csv");
    String[] flags = {"--limit", "10", "--period", "60s", "--key", "client+path"};

    CommandRun one = CommandRun.replay(with(flags, "--decisions", first.toString()));
    CommandRun two = CommandRun.replay(with(flags, "--decisions", second.toString()));
    CommandRun jsonOne = CommandRun.replay(with(flags, "--json"));
    CommandRun jsonTwo = CommandRun.replay(with(flags, "--json"));

    assertThat(one.exitCode()).isZero();
    assertThat(one.out()).isEqualTo(two.out());
    assertThat(jsonOne.out()).isEqualTo(jsonTwo.out());
    assertThat(Files.readAllBytes(first)).isEqualTo(Files.readAllBytes(second));
    assertThat(Files.size(first)).isGreaterThan(10_000);
  }

  private static String[] with(String[] flags, String... more) {
    List<String> args = new ArrayList<>(List.of(EXAMPLE_LOG.toString()));
    args.addAll(List.of(flags));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  static Stream<Arguments> usageErrors() {
    return Stream.of(
        Arguments.of(List.of("--limit", "0", "--period", "60s"),
            "sluice replay: --limit must be at least 1, got 0"),
        Arguments.of(List.of("--limit", "10", "--period", "0s"),
            "sluice replay: --period must be at least 1ms, got 0s"),
        Arguments.of(List.of("--limit", "10", "--period", "abc"),
            "sluice replay: --period must be a whole number followed by ms, s, m, h or d"
                + " (such as 500ms or 60s), got 'abc'"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--algorithm", "bucket"),
            "sluice replay: unknown algorithm 'bucket', expected one of fixed_window,"
                + " sliding_log, sliding_window, token_bucket, leaky_bucket, gcra"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--key", "ip"),
            "sluice replay: unknown key mode 'ip', expected client, path or client+path"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--algorithm", "leaky_bucket",
            "--mode", "smooth"),
            "sluice replay: unknown mode 'smooth', expected police or shape"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--mode", "shape"),
            "sluice replay: --mode applies only to leaky_bucket, but the algorithm is"
                + " token_bucket (the default)"),
        Arguments.of(List.of("--limit", "1", "--period", "1s", "--mode", "police"),
            "sluice replay: --mode applies only to leaky_bucket, but the algorithm is"
                + " token_bucket (the default)"),
        Arguments.of(List.of("--limit", "1", "--period", "1s", "--algorithm", "gcra",
            "--mode", "police"),
            "sluice replay: --mode applies only to leaky_bucket, but the algorithm is gcra"),
        Arguments.of(List.of("--limit", "1", "--period", "1s", "--algorithm", "fixed_window",
            "--burst", "1"),
            "sluice replay: --burst applies only to token_bucket, leaky_bucket and gcra, but"
                + " the algorithm is fixed_window"),
        Arguments.of(List.of("--limit", "3", "--period", "1s", "--algorithm", "sliding_window",
            "--burst", "3"),
            "sluice replay: --burst applies only to token_bucket, leaky_bucket and gcra, but"
                + " the algorithm is sliding_window"),
        Arguments.of(List.of("--limit", "5", "--period", "1m", "--algorithm", "sliding_log",
            "--burst", "9"),
            "sluice replay: --burst applies only to token_bucket, leaky_bucket and gcra, but"
                + " the algorithm is sliding_log"),
        Arguments.of(List.of("--limit", "ten", "--period", "60s"),
            "sluice replay: --limit must be a whole number, got 'ten'"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--burst", "1.5"),
            "sluice replay: --burst must be a whole number, got '1.5'"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--burst", "0"),
            "sluice replay: --burst must be at least 1, got 0"),
        Arguments.of(List.of("--limit", "99999999999999999999", "--period", "60s"),
            "sluice replay: --limit must be at most 2305843009213693951,"
                + " got 99999999999999999999"),
        Arguments.of(
            List.of("--limit", "10", "--period", "60s", "--burst", "-99999999999999999999"),
            "sluice replay: --burst must be at least 1, got -99999999999999999999"),
        Arguments.of(List.of("--limit", "10", "--period", "3651d"),
            "sluice replay: --period must be at most 3650d, got 3651d"),
        Arguments.of(List.of("--limit", "10"),
            "sluice replay: --period is required unless --config and --policy are given"),
        Arguments.of(List.of("--period", "60s"),
            "sluice replay: --limit is required unless --config and --policy are given"),
        Arguments.of(List.of(),
            "sluice replay: --limit and --period are required unless --config and --policy"
                + " are given"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--policy", "api"),
            "sluice replay: --policy api needs --config FILE"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--key", "client\n\u001b[2J"),
            "sluice replay: unknown key mode 'client\\x0a\\x1b[2J', expected client, path or"
                + " client+path"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--algorithm", "gc\u001bra"),
            "sluice replay: unknown algorithm 'gc\\x1bra', expected one of fixed_window,"
                + " sliding_log, sliding_window, token_bucket, leaky_bucket, gcra"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--algorithm", "leaky_bucket",
            "--mode", "shape\n"),
            "sluice replay: unknown mode 'shape\\x0a', expected police or shape"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--decisions", ""),
            "sluice replay: --decisions must name a file to write, got an empty value"),
        Arguments.of(List.of("--config", "", "--policy", "api"),
            "sluice replay: --config must name a YAML file, got an empty value"),
        Arguments.of(List.of("--limit", "10", "--period", "60s", "--decisions", "-"),
            "sluice replay: --decisions cannot be '-' (standard output), because the summary"
                + " is written there. Give a file path such as decisions.csv, or ./- for a file"
                + " named -"));
  }

  @Test
  void replay_emptyLogArgument_namesWhatWasExpected() {
    CommandRun run = CommandRun.replay("", "--limit", "1", "--period", "60s");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly(
        "sluice replay: log must name a file, or - for standard input, got an empty value");
  }

  @ParameterizedTest
  @MethodSource("usageErrors")
  void replay_badFlagValue_printsOneLineAndExits2(List<String> flags, String message) {
    List<String> args = new ArrayList<>(List.of(log.toString()));
    args.addAll(flags);

    CommandRun run = CommandRun.replay(args.toArray(String[]::new));

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(lines(run.err())).containsExactly(message);
  }

  @Test
  void replay_policyNotInConfig_listsPolicies() {
    CommandRun run = CommandRun.replay(
        log.toString(), "--config", config.toString(), "--policy", "nope");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly(
        "sluice replay: policy 'nope' not found in " + config + ", expected one of api, login");
  }

  @Test
  void replay_policyNotAmong25_lists20AndCountsTheRest() throws IOException {
    StringBuilder yaml = new StringBuilder("policies:\n");
    for (int i = 1; i <= 25; i++) {
      yaml.append("  p").append(i).append(":\n    limits: [{algorithm: gcra, limit: 5,"
          + " period: 1m}]\n");
    }
    Path many = dir.resolve("many.yaml");
    Files.writeString(many, yaml);

    CommandRun run = CommandRun.replay(log.toString(), "--config", many.toString(), "--policy",
        "x".repeat(150));

    // The name is cut after 100 characters; p1 to p20 are listed and p21 to p25 counted.
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly("sluice replay: policy '" + "x".repeat(100)
        + "\u2026 (150 characters)' not found in " + many + ", expected one of p1, p2, p3, p4,"
        + " p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20 and 5"
        + " more");
  }

  @Test
  void replay_configWithLimitFlags_namesTheFlags() {
    CommandRun run = CommandRun.replay(log.toString(), "--config", config.toString(),
        "--policy", "api", "--limit", "5", "--burst", "2");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly("sluice replay: --config takes the limits from"
        + " the config file, so it cannot be combined with --limit, --burst");
  }

  @Test
  void replay_configWithoutPolicy_asksForPolicy() {
    CommandRun run = CommandRun.replay(log.toString(), "--config", config.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err()))
        .containsExactly("sluice replay: --config needs --policy NAME to choose a policy");
  }

  @Test
  void replay_invalidConfig_printsFileAndLine() throws IOException {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "policies:\n  api:\n    limits:\n      - algorithm: token_bucket\n"
        + "        limit: 0\n        period: 1m\n");

    CommandRun run = CommandRun.replay(log.toString(), "--config", bad.toString(),
        "--policy", "api");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).hasSize(1);
    assertThat(run.err()).startsWith("sluice replay: " + bad + ":5: ").contains("got 0");
  }

  @Test
  void replay_configForRedisServer_ignoresStoreSettings() throws IOException {
    // A file for `sluice serve --redis`: policy on_failure without a redis store section, and
    // a redis CA file that does not exist on this machine in a second file.
    Path served = dir.resolve("served.yaml");
    Files.writeString(served, CONFIG + "  strict:\n    on_failure: deny\n"
        + "    limits: [{algorithm: fixed_window, limit: 1, period: 1m}]\n");
    Path withStore = dir.resolve("with-store.yaml");
    Files.writeString(withStore, "store:\n  type: redis\n  uri: rediss://127.0.0.1:6379\n"
        + "  tls_ca_file: absent-ca.pem\n" + CONFIG);

    CommandRun strict = CommandRun.replay(
        log.toString(), "--config", served.toString(), "--policy", "strict");
    CommandRun login = CommandRun.replay(
        log.toString(), "--config", withStore.toString(), "--policy", "login");

    assertThat(strict.err()).isEmpty();
    assertThat(strict.exitCode()).isZero();
    assertThat(lines(strict.out())).contains("policy         strict");
    assertThat(login.err()).isEmpty();
    assertThat(login.exitCode()).isZero();
    assertThat(lines(login.out())).contains("policy         login");
  }

  @Test
  void replay_configWithBadPolicyOnFailure_printsFileAndLine() throws IOException {
    Path bad = dir.resolve("bad-mode.yaml");
    Files.writeString(bad, CONFIG + "    on_failure: closed\n");

    CommandRun run = CommandRun.replay(log.toString(), "--config", bad.toString(),
        "--policy", "login");

    // CONFIG has 11 lines, so the appended on_failure of login is line 12.
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly("sluice replay: " + bad
        + ":12: unknown on_failure 'closed', expected deny, allow or local");
  }

  @Test
  void replay_missingConfig_exits2() {
    Path missing = dir.resolve("missing.yaml");

    CommandRun run = CommandRun.replay(log.toString(), "--config", missing.toString(),
        "--policy", "api");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).hasSize(1);
    assertThat(run.err()).startsWith("sluice replay: " + missing);
  }

  @Test
  void replay_missingLog_exits2() {
    Path missing = dir.resolve("missing.log");

    CommandRun run = CommandRun.replay(missing.toString(), "--limit", "1", "--period", "1s");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err()))
        .containsExactly("sluice replay: log file not found: " + missing);
  }

  @Test
  void replay_logIsDirectory_exits2() {
    CommandRun run = CommandRun.replay(dir.toString(), "--limit", "1", "--period", "1s");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err()))
        .containsExactly("sluice replay: log " + dir + " is a directory, expected a file");
  }

  @Test
  void replay_gzipLog_exits2WithZcatCommand() throws IOException {
    Path gzipped = dir.resolve("access.log.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzipped))) {
      Files.copy(log, out);
    }

    CommandRun run = CommandRun.replay(gzipped.toString(), "--limit", "1", "--period", "1s");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(lines(run.err())).containsExactly("sluice replay: log " + gzipped
        + " is gzip-compressed, expected a text file; decompress it first, such as with zcat "
        + gzipped + " > " + log);
  }

  @Test
  void replay_xzLogWithoutSuffix_exits2WithXzcatCommand() throws IOException {
    // The first 12 bytes of a log compressed by xz 5.4.1: enough to recognize the format.
    Path compressed = dir.resolve("compressed.log");
    Files.write(compressed, HexFormat.of().parseHex("fd377a585a000004e6d6b446"));

    CommandRun run = CommandRun.replay(compressed.toString(), "--limit", "1", "--period", "1s");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly("sluice replay: log " + compressed
        + " is xz-compressed, expected a text file; decompress it first, such as with xzcat "
        + compressed + " > " + compressed + ".txt");
  }

  @Test
  void replay_namedPipe_replays() throws Exception {
    Path fifo = dir.resolve("access.fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor()).isZero();
    // Opening a pipe for writing blocks until the replay opens it for reading.
    CompletableFuture<Void> written = CompletableFuture.runAsync(() -> copy(log, fifo));

    CommandRun run = CommandRun.replay(fifo.toString(), "--limit", "1", "--period", "60s");

    assertThat(run.err()).isEmpty();
    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).contains("lines          4", "denied         1");
    written.get(30, TimeUnit.SECONDS);
  }

  @Test
  void replay_dashLog_readsStandardInput() throws IOException {
    CommandRun run = replayStandardInput(Files.readAllBytes(log));

    assertThat(run.err()).isEmpty();
    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).contains("lines          4", "denied         1");
  }

  @Test
  void replay_noAccessLogLine_warns() throws IOException {
    Path notes = dir.resolve("notes.txt");
    Files.writeString(notes, "# Notes\n\nnot a log line\n");

    CommandRun run = CommandRun.replay(notes.toString(), "--limit", "1", "--period", "1s");

    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).contains("events         0", "malformed      3 (lines 1, 2, 3)");
    assertThat(lines(run.err())).containsExactly("sluice replay: warning: none of the 3 lines"
        + " of " + notes + " is an access log line in the Common or Combined Log Format, so"
        + " nothing was replayed");
  }

  @Test
  void replay_dashLogWithInputClosed_exits2() throws IOException {
    System.setProperty(ReplayCommand.STANDARD_INPUT_CLOSED, "true");
    CommandRun run;
    try {
      run = replayStandardInput(Files.readAllBytes(log));
    } finally {
      System.clearProperty(ReplayCommand.STANDARD_INPUT_CLOSED);
    }

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly("sluice replay: log is -, but standard input"
        + " is closed; pipe the log in, or give the log file's path instead of -");
  }

  @Test
  void replay_gzipStandardInput_exits2WithZcat() throws IOException {
    ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(gzipped)) {
      Files.copy(log, out);
    }

    CommandRun run = replayStandardInput(gzipped.toByteArray());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly("sluice replay: standard input is"
        + " gzip-compressed, expected text; pipe it through zcat first");
  }

  @Test
  void replay_gzipNamedPipe_exits2WithZcatPipe() throws Exception {
    Path gzipped = dir.resolve("access.log.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzipped))) {
      Files.copy(log, out);
    }
    Path fifo = dir.resolve("access.fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor()).isZero();
    // The compressed log is smaller than a pipe's buffer, so the writer never blocks on it.
    CompletableFuture<Void> written = CompletableFuture.runAsync(() -> copy(gzipped, fifo));

    CommandRun run = CommandRun.replay(fifo.toString(), "--limit", "10", "--period", "60s");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly("sluice replay: log " + fifo + " is"
        + " gzip-compressed, expected text; pipe it through zcat first");
    written.get(30, TimeUnit.SECONDS);
  }

  private static CommandRun replayStandardInput(byte[] input) {
    InputStream original = System.in;
    System.setIn(new ByteArrayInputStream(input));
    try {
      return CommandRun.replay("-", "--limit", "1", "--period", "60s");
    } finally {
      System.setIn(original);
    }
  }

  private static void copy(Path from, Path to) {
    try (OutputStream out = Files.newOutputStream(to)) {
      Files.copy(from, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void replay_logShorterThanSignature_replays() throws IOException {
    Path tiny = dir.resolve("tiny.log");
    Files.write(tiny, new byte[] {0x1f});

    CommandRun run = CommandRun.replay(tiny.toString(), "--limit", "1", "--period", "1s");

    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).contains("lines          1", "malformed      1 (lines 1)");
  }

  @Test
  void replay_decisionsInMissingDirectory_exits2BeforeReplaying() {
    Path decisions = dir.resolve("no-such-dir").resolve("d.csv");

    CommandRun run = CommandRun.replay(log.toString(), "--limit", "1", "--period", "1s",
        "--decisions", decisions.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err())).containsExactly("sluice replay: --decisions " + decisions
        + ": directory " + decisions.getParent().toAbsolutePath() + " not found");
  }

  @Test
  void replay_decisionsIsLog_rejected() throws IOException {
    byte[] before = Files.readAllBytes(log);

    CommandRun run = CommandRun.replay(log.toString(), "--limit", "1", "--period", "1s",
        "--decisions", log.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(lines(run.err())).containsExactly("sluice replay: --decisions " + log
        + " is the same file as the log " + log + ", expected a different file to write");
    assertThat(Files.readAllBytes(log)).isEqualTo(before);
  }

  @Test
  void replay_decisionsIsLogViaLink_rejected() throws IOException {
    byte[] before = Files.readAllBytes(log);
    Path sub = Files.createDirectory(dir.resolve("sub"));
    Path dotted = sub.resolve("..").resolve(log.getFileName());
    Path link = Files.createSymbolicLink(dir.resolve("link.log"), log);

    CommandRun viaDots = CommandRun.replay(log.toString(), "--limit", "1", "--period", "1s",
        "--decisions", dotted.toString());
    CommandRun viaLink = CommandRun.replay(log.toString(), "--limit", "1", "--period", "1s",
        "--decisions", link.toString());

    assertThat(viaDots.exitCode()).isEqualTo(2);
    assertThat(lines(viaDots.err())).hasSize(1);
    assertThat(viaLink.exitCode()).isEqualTo(2);
    assertThat(lines(viaLink.err())).hasSize(1);
    assertThat(viaLink.err()).contains("--decisions " + link + " is the same file as the log");
    assertThat(Files.readAllBytes(log)).isEqualTo(before);
  }

  @Test
  void replay_decisionsIsConfig_rejected() throws IOException {
    CommandRun run = CommandRun.replay(log.toString(), "--config", config.toString(),
        "--policy", "api", "--decisions", config.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(lines(run.err())).containsExactly("sluice replay: --decisions " + config
        + " is the same file as the --config file " + config
        + ", expected a different file to write");
    assertThat(Files.readString(config)).isEqualTo(CONFIG);
  }

  @Test
  void replay_stdoutFails_exits1WithMessage() {
    // A writer that fails like standard output on a full disk (ENOSPC).
    Writer full = new Writer() {
      @Override
      public void write(char[] chars, int offset, int length) throws IOException {
        throw new IOException("No space left on device");
      }

      @Override
      public void flush() throws IOException {
        throw new IOException("No space left on device");
      }

      @Override
      public void close() {}
    };
    StringWriter err = new StringWriter();
    CommandLine command = new CommandLine(new ReplayCommand());
    command.setOut(new PrintWriter(full, true));
    command.setErr(new PrintWriter(err, true));

    for (String format : List.of("--json", "--key=client")) {
      int exitCode =
          command.execute(log.toString(), "--limit", "1", "--period", "60s", format);

      assertThat(exitCode).as(format).isEqualTo(1);
    }
    assertThat(lines(err.toString())).containsExactly(
        "sluice replay: failed to write the summary to standard output",
        "sluice replay: failed to write the summary to standard output");
  }

  @Test
  void replay_controlBytesInKey_textEscapesThem() throws IOException {
    // The client has SOH, an ESC sequence, a backslash and a right-to-left override (U+202E).
    // Two requests in one second against 1 per minute: one denial for that key.
    String client = "a\u0001b\u001b[31mc\\d\u202e";
    Path controls = dir.resolve("controls.log");
    String line = client + " - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1\n";
    Files.writeString(controls, line + line);

    CommandRun text = CommandRun.replay(controls.toString(), "--limit", "1", "--period", "1m");
    CommandRun json =
        CommandRun.replay(controls.toString(), "--limit", "1", "--period", "1m", "--json");

    assertThat(text.exitCode()).isZero();
    assertThat(lines(text.out())).contains("  1  a\\x01b\\x1b[31mc\\\\d\\u{202e}");
    assertThat(text.out()).doesNotContain("\u0001").doesNotContain("\u001b")
        .doesNotContain("\u202e");
    JsonNode top = new ObjectMapper().readTree(json.out()).get("top_denied_keys").get(0);
    assertThat(top.get("key").asText()).isEqualTo(client);
  }

  @Test
  void replay_unknownOption_exits2WithoutStackTrace() {
    CommandRun run = CommandRun.replay(log.toString(), "--limt", "10", "--period", "1s");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(lines(run.err()).get(0)).contains("'--limt'");
    assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void replay_twoLogFiles_saysOneIsExpected() {
    StringWriter err = new StringWriter();
    CommandLine sluice = Main.commandLine();
    sluice.setErr(new PrintWriter(err, true));

    int exitCode = sluice.execute("replay", "a.log", "b.log", "--limit", "1", "--period", "1s");

    assertThat(exitCode).isEqualTo(2);
    assertThat(lines(err.toString())).containsExactly(
        "sluice replay: expected one LOG file, got 2: a.log b.log",
        "Run 'sluice replay --help' for usage.");
  }

  @Test
  void replay_timestampsOutsideTimeSourceRange_countedMalformed() throws IOException {
    // 2^62 ns, the largest time source reading, is 2116-02-20T23:53:38.43Z, so the lines of
    // 2116-02-21 and 2117 are past it, and the line of 1969 is before the epoch.
    Path outOfRange = dir.resolve("range.log");
    Files.writeString(outOfRange, String.join("\n",
        "a - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1",
        "b - - [01/Jan/2117:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
        "c - - [21/Feb/2116:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1",
        "d - - [31/Dec/1969:23:59:59 +0000] \"GET / HTTP/1.1\" 200 1",
        "e - - [20/Feb/2116:23:53:38 +0000] \"GET / HTTP/1.1\" 200 1") + "\n");

    CommandRun run = CommandRun.replay(outOfRange.toString(), "--limit", "10", "--period", "1s");

    assertThat(run.err()).isEmpty();
    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).contains(
        "lines          5", "events         2", "malformed      3 (lines 2, 3, 4)");
  }

  @Test
  void replay_lineLongerThanMaximum_countedMalformedAndSkipped() throws IOException {
    // Line 2 is a valid log line padded to 65,537 characters, one past the maximum.
    String valid = "a - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1";
    String tooLong = valid + " " + "x".repeat(65_537 - valid.length() - 1);
    Path longLine = dir.resolve("long.log");
    Files.writeString(longLine, valid + "\n" + tooLong + "\n" + valid + "\n");

    CommandRun run = CommandRun.replay(longLine.toString(), "--limit", "10", "--period", "1s");

    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).contains(
        "lines          3", "events         2", "malformed      1 (lines 2)");
  }

  @Test
  void main_replaySubcommand_runsReplay() {
    StringWriter out = new StringWriter();
    CommandLine sluice = Main.commandLine();
    sluice.setOut(new PrintWriter(out, true));

    int exitCode = sluice.execute("replay", log.toString(), "--limit", "1", "--period", "60s");

    assertThat(exitCode).isZero();
    assertThat(lines(out.toString())).contains("denied         1");
  }

  @Test
  void replay_invalidUtf8_replacesBytesAndReplays() throws IOException {
    Path latin1 = dir.resolve("latin1.log");
    Files.write(latin1, "caf\u00e9 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1\n"
        .getBytes(StandardCharsets.ISO_8859_1));

    CommandRun run = CommandRun.replay(latin1.toString(), "--limit", "1", "--period", "1s");

    assertThat(run.exitCode()).isZero();
    assertThat(lines(run.out())).contains("events         1");
  }
}
