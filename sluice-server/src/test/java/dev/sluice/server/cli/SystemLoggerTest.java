package dev.sluice.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import org.junit.jupiter.api.Test;

/**
 * Tests that lines logged through {@code System.Logger}, as the Redis store logs its outages,
 * reach slf4j-simple and get the format of the service's own lines, such as
 * {@code 2026-12-04T16:44:37.594Z INFO ServeCommand - started ...}.
 */
class SystemLoggerTest {

  /** The time format of simplelogger.properties, which writes Z for UTC and +hh:mm elsewhere. */
  private static final String TIME = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}"
      + "(Z|[+-]\\d{2}:\\d{2})";

  private static final Logger STORE_LOG = System.getLogger("dev.sluice.redis.RedisStore");

  @Test
  void systemLogger_warning_printedAsSlf4jWarn() {
    String text;
    try (StderrCapture stderr = new StderrCapture()) {
      STORE_LOG.log(Level.WARNING, "Redis store failed uri=redis://127.0.0.1:7613/0");
      text = stderr.text();
    }

    assertThat(text).matches(
        TIME + " WARN RedisStore - Redis store failed uri=redis://127.0.0.1:7613/0\\R");
  }

  @Test
  void systemLogger_info_printedAsSlf4jInfo() {
    String text;
    try (StderrCapture stderr = new StderrCapture()) {
      STORE_LOG.log(Level.INFO, "Redis store recovered outage_ms=6000");
      text = stderr.text();
    }

    assertThat(text).matches(TIME + " INFO RedisStore - Redis store recovered outage_ms=6000\\R");
  }

  @Test
  void systemLogger_debug_hiddenAtDefaultLevel() {
    String text;
    try (StderrCapture stderr = new StderrCapture()) {
      STORE_LOG.log(Level.DEBUG, "Redis store call failed failed_calls=1");
      text = stderr.text();
    }

    assertThat(STORE_LOG.isLoggable(Level.DEBUG)).isFalse();
    assertThat(text).isEmpty();
  }
}
