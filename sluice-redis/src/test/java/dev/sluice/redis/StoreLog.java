package dev.sluice.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The lines a {@link RedisStore} logs while a test runs, captured from its logger. Open it
 * before the code under test logs and close it afterwards.
 */
final class StoreLog extends Handler implements AutoCloseable {

  private final Logger storeLogger;
  private final List<LogRecord> logged = new ArrayList<>();

  private StoreLog(Logger logger) {
    this.storeLogger = logger;
  }

  /** Starts capturing the store's lines. */
  static StoreLog open() {
    return capture(Logger.getLogger(RedisStore.class.getName()));
  }

  /** Starts capturing every logger's lines, such as Lettuce's beside the store's. */
  static StoreLog openAll() {
    return capture(Logger.getLogger(""));
  }

  private static StoreLog capture(Logger logger) {
    StoreLog log = new StoreLog(logger);
    logger.addHandler(log);
    return log;
  }

  /** Returns the lines captured so far at {@code level} or above, in the order logged. */
  List<LogRecord> recordsFrom(Level level) {
    synchronized (logged) {
      return logged.stream().filter(r -> r.getLevel().intValue() >= level.intValue()).toList();
    }
  }

  /** Returns the lines captured so far at exactly {@code level}, in the order logged. */
  List<LogRecord> records(Level level) {
    synchronized (logged) {
      return logged.stream().filter(r -> r.getLevel().equals(level)).toList();
    }
  }

  @Override
  public void publish(LogRecord record) {
    synchronized (logged) {
      logged.add(record);
    }
  }

  @Override
  public void flush() {}

  /** Stops capturing; the lines captured stay readable. */
  @Override
  public void close() {
    storeLogger.removeHandler(this);
  }
}
