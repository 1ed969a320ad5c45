package dev.sluice.server.cli;

import dev.sluice.Policy;
import dev.sluice.redis.RedisStore;
import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.config.StoreConfig;
import dev.sluice.server.config.StoreOverride;
import dev.sluice.server.http.SluiceServer;
import dev.sluice.store.InMemoryStore;
import dev.sluice.store.RateLimitStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
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
 *
 * <p>When started from a config file, the service looks at the file once a second and reloads
 * its policies when the file changes: new limits apply from the next request on, and a policy
 * whose limits keep their names and algorithms keeps the state of its keys, and a policy's
 * {@code on_failure} applies from then on too. An invalid file is logged and ignored, so the
 * running config stays. The store changes only on a restart, so a reloaded file must be valid
 * both with its own store settings and with the running store.
 */
public final class SluiceService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SluiceService.class);

  private final SluiceServer server;
  private final RateLimitStore store;
  private final String address;
  private final ScheduledExecutorService cleaner;
  private final AtomicBoolean closed = new AtomicBoolean();
  private long failedCleanUps;
  private final Path configFile;
  private final StoreConfig storeConfig;
  private final StoreOverride storeOverride;
  private String configVersion;

  SluiceService(SluiceServer server, RateLimitStore store) {
    this(server, store, null, null, StoreOverride.NONE);
  }

  /**
   * Creates the service; with a {@code configFile}, it watches that file for changes.
   *
   * @param storeConfig the store settings the service started with, after
   *     {@code storeOverride}, to check reloaded policies against the running store and to
   *     warn when a changed file sets other settings
   * @param storeOverride the command-line options applied to the store settings of the file,
   *     applied again to each reloaded file
   */
  SluiceService(SluiceServer server, RateLimitStore store, Path configFile,
      StoreConfig storeConfig, StoreOverride storeOverride) {
    this.server = server;
    this.store = store;
    this.configFile = configFile;
    this.storeConfig = storeConfig;
    this.storeOverride = storeOverride;
    this.configVersion = configFile == null ? null : versionOf(configFile);
    this.address = server.address();
    this.cleaner = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "sluice-cleanup");
      thread.setDaemon(true);
      return thread;
    });
    if (store instanceof InMemoryStore) {
      cleaner.scheduleWithFixedDelay(this::cleanUp, 1, 1, TimeUnit.SECONDS);
    }
    if (configFile != null) {
      cleaner.scheduleWithFixedDelay(this::reloadIfChanged, 1, 1, TimeUnit.SECONDS);
    }
  }

  /**
   * Reloads the policies from the config file if it changed since the last look, and returns
   * whether it did. Runs once a second by itself; tests call it to avoid waiting.
   */
  public synchronized boolean reloadIfChanged() {
    String version = versionOf(configFile);
    if (Objects.equals(version, configVersion)) {
      return false;
    }
    configVersion = version;
    SluiceConfig loaded;
    try {
      loaded = ConfigLoader.loadForReload(configFile, storeOverride, storeConfig);
    } catch (ConfigException e) {
      LOG.warn("config reload failed, keeping the running config: {}", e.getMessage());
      return false;
    }
    if (!loaded.failureModes().isEmpty() && !(store instanceof RedisStore)) {
      // The file switched to a redis store, which applies only after a restart.
      LOG.warn("config reload failed, keeping the running config: {}: on_failure of a policy"
          + " applies only to the redis store, but the running store is memory; restart to"
          + " apply the file's store settings", configFile);
      return false;
    }
    List<Policy> policies = List.copyOf(loaded.policies().values());
    try {
      // Binds every policy before it serves any, so a policy the store rejects changes nothing.
      server.reload(policies, loaded.failureModes());
    } catch (IllegalArgumentException e) {
      LOG.warn("config reload failed, keeping the running config: {}: {}", configFile,
          e.getMessage());
      return false;
    }
    if (!loaded.store().equals(storeConfig)) {
      LOG.warn("config file changes the store settings; restart to apply them file={}",
          configFile);
    }
    LOG.info("config reloaded file={} policies=\"{}\"", configFile,
        ServeCommand.describe(policies, loaded.failureModes(), storeConfig));
    return true;
  }

  /**
   * Returns what identifies one content of the file cheaply: its modification time and size,
   * or {@code null} when it cannot be read, so that a file that comes back counts as changed.
   */
  private static String versionOf(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis() + ":" + Files.size(file);
    } catch (IOException e) {
      return null;
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
