package dev.sluice.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code sluice serve} as its own process, as an operator runs it: the start-up line, a check
 * over HTTP, and the stop line on SIGTERM, which the in-process tests cannot show.
 */
class ServeProcessTest {

  private static final Pattern STARTED = Pattern.compile("started address=127\\.0\\.0\\.1:(\\d+)");

  @Test
  void serve_sigterm_logsStopLineAndExits143() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process = new ProcessBuilder(java.toString(), "-cp",
        System.getProperty("java.class.path"), Main.class.getName(), "serve", "--port", "0")
        .redirectErrorStream(true)
        .start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader output = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      int port = awaitStarted(output, lines);
      String body = ServeFixture.check(port, "default", "user-42");

      // SIGTERM through the handle: Process.destroy() would also close the output stream.
      assertThat(process.toHandle().destroy()).as("SIGTERM sent").isTrue();
      for (String line = output.readLine(); line != null; line = output.readLine()) {
        lines.add(line);
      }
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();

      assertThat(body).contains("\"allowed\":true");
      assertThat(process.exitValue()).isEqualTo(143);
      assertThat(lines).anySatisfy(line -> assertThat(line)
          .contains("INFO SluiceService - stopped address=127.0.0.1:" + port));
    } finally {
      process.destroyForcibly();
    }
  }

  /** Reads the output up to the start-up line and returns the port it names. */
  private static int awaitStarted(BufferedReader output, List<String> lines) throws Exception {
    for (String line = output.readLine(); line != null; line = output.readLine()) {
      lines.add(line);
      Matcher started = STARTED.matcher(line);
      if (started.find()) {
        return Integer.parseInt(started.group(1));
      }
    }
    throw new AssertionError("sluice serve ended without its start-up line: " + lines);
  }
}
