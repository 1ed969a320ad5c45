package dev.sluice.server.replay;

import dev.sluice.server.cli.ReplayCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** The exit code and the output of one {@code sluice replay} run inside the test JVM. */
record CommandRun(int exitCode, String out, String err) {

  static CommandRun replay(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine command = new CommandLine(new ReplayCommand());
    command.setOut(new PrintWriter(out, true));
    command.setErr(new PrintWriter(err, true));
    int exitCode = command.execute(args);
    return new CommandRun(exitCode, out.toString(), err.toString());
  }
}
