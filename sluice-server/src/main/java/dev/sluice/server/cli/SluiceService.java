package dev.sluice.server.cli;

import dev.sluice.server.http.SluiceServer;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.RateLimitStore;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running {@code sluice serve}: the HTTP server, its store, and for an in-memory store the
 * task that removes expired keys once a second, so that memory follows the number of active
 * keys. Redis expires its keys by itself.
 */
public final class SluiceService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SluiceService.class);

  private final SluiceServer server;
  private final RateLimitStore store;
  private final String address;
  private final ScheduledExecutorService cleaner;
  private final AtomicBoolean closed = new AtomicBoolean();
  private long failedCleanUps;

  SluiceService(SluiceServer server, RateLimitStore store) {
    this.server = server;
    this.store = store;
    this.address = server.address();
    this.cleaner = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "sluice-cleanup");
      thread.setDaemon(true);
      return thread;
    });
    if (store instanceof InMemoryStore) {
      cleaner.scheduleWithFixedDelay(this::cleanUp, 1, 1, TimeUnit.SECONDS);
    }
  }

  /** The port the server is bound to. */
  public int port() {
    return server.port();
  }

  /** The store shared by all policies. */
  public RateLimitStore store() {
    return store;
  }

  /**
   * Stops the clean-up task and the server, waiting for requests in flight, closes the store,
   * and logs one stop line. Calling it again does nothing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    cleaner.shutdownNow();
    try {
      server.stop();
      if (store instanceof InMemoryStore memory) {
        LOG.info("stopped address={} tracked_keys={}", address, memory.trackedKeys());
      } else {
        LOG.info("stopped address={}", address);
      }
    } catch (Exception e) {
      LOG.error("failed to stop gracefully address={}", address, e);
    } finally {
      store.close();
    }
  }

  /**
   * Runs one clean-up. A failure is logged once with its cause, then counted until a clean-up
   * succeeds again, so that a persistent fault does not log every second.
   */
  private void cleanUp() {
    try {
      ((InMemoryStore) store).cleanUp();
      if (failedCleanUps > 0) {
        LOG.info("store clean-up recovered after {} failed runs", failedCleanUps);
        failedCleanUps = 0;
      }
    } catch (RuntimeException e) {
      if (failedCleanUps++ == 0) {
        LOG.error("store clean-up failed; retrying every second", e);
      }
    }
  }
}
