package dev.sluice.server.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures what is written to {@code System.err} from its creation until it is closed, such as
 * the service's log lines, and then restores the stream it replaced. Declare it before the
 * service in a try-with-resources statement, so that the service's stop line is captured too.
 */
final class StderrCapture implements AutoCloseable {

  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private final PrintStream replaced = System.err;

  StderrCapture() {
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
  }

  /** Returns the text written so far. */
  String text() {
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    System.setErr(replaced);
  }
}
