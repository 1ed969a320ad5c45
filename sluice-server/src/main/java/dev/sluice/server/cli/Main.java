package dev.sluice.server.cli;

import dev.sluice.server.config.MessageText;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code sluice} command. Exit codes: 0 success, 1 failure while running, 2 invalid usage
 * or config.
 */
@Command(
    name = "sluice",
    mixinStandardHelpOptions = true,
    version = "sluice 0.1.0",
    description = "Exact rate limiting as a service.",
    subcommands = {ServeCommand.class, ReplayCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @Spec
  private CommandSpec spec;

  public static void main(String[] args) {
    CommandLine sluice = commandLine();
    sluice.setOut(stdoutWriter());
    System.exit(sluice.execute(args));
  }

  /**
   * Returns a writer on file descriptor 1 that reports write failures through
   * {@link PrintWriter#checkError()}. Picocli's default writer goes through System.out, a
   * PrintStream that swallows them, so output to a full disk would look successful. The
   * charset is the one picocli would choose.
   */
  private static PrintWriter stdoutWriter() {
    String encoding = System.getProperty("sun.stdout.encoding");
    Charset charset = encoding != null && Charset.isSupported(encoding)
        ? Charset.forName(encoding)
        : Charset.defaultCharset();
    return new PrintWriter(new BufferedWriter(
        new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), charset)), true);
  }

  /** Returns the command line with every subcommand, ready to {@code execute}. */
  public static CommandLine commandLine() {
    return new CommandLine(new Main()).setParameterExceptionHandler(Main::usageError);
  }

  /**
   * Prints a usage error as one line, naming the command, and a hint where the usage is, instead
   * of the whole usage text; returns exit code 2.
   */
  private static int usageError(ParameterException error, String[] args) {
    CommandLine command = error.getCommandLine();
    String name = command.getCommandSpec().qualifiedName();
    // Picocli quotes the bad value as given, so a value with a line break would print two lines.
    command.getErr().println(name + ": " + MessageText.escape(messageOf(error)));
    command.getErr().println("Run '" + name + " --help' for usage.");
    return 2;
  }

  /**
   * Returns the message of a usage error. A word that is not an option, where a command was
   * expected, gets a message listing the commands instead of picocli's "Unmatched argument at
   * index 0".
   */
  private static String messageOf(ParameterException error) {
    Map<String, CommandLine> commands = error.getCommandLine().getSubcommands();
    if (error instanceof UnmatchedArgumentException unmatched
        && !unmatched.isUnknownOption()
        && !unmatched.getUnmatched().isEmpty()
        && !commands.isEmpty()) {
      return "'" + MessageText.truncate(unmatched.getUnmatched().get(0))
          + "' is not a command, expected one of " + String.join(", ", commands.keySet());
    }
    return error.getMessage();
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand: use sluice serve or"
        + " sluice replay, or sluice help for the list of subcommands");
  }
}
