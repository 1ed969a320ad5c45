package dev.sluice.redis;

/** Which clock a {@link RedisStore} decides by. */
public enum TimeMode {
  /**
   * The Redis server's clock, read by the script with {@code TIME}, so that every client
   * agrees on the time whatever its own clock says. Microsecond resolution. The default.
   */
  SERVER,

  /**
   * The store's {@link dev.sluice.TimeSource}, read in the client and sent with each request.
   * Clients whose clocks disagree then disagree on windows and refills; use it where the time
   * source is authoritative, such as tests and replays on a fake clock.
   */
  CLIENT
}
