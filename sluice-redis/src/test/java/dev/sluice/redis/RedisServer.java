package dev.sluice.redis;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway {@code redis-server} for tests: listens on a free port of 127.0.0.1, keeps
 * nothing on disk ({@code --save '' --appendonly no}), and is stopped by {@link #close()} or,
 * failing that, when the JVM exits.
 *
 * <p>The binary is {@code redis-server} from the {@code PATH}, as installed by
 * {@code apt-get install redis-server}; without one, the Linux build shipped inside the
 * test-scope artifact {@code com.github.codemonstur:embedded-redis} (Redis 6.2) is extracted to
 * a temporary file.
 *
 * <p>Public so that other modules can use it through this module's test jar.
 */
public final class RedisServer implements AutoCloseable {

  private static final long START_TIMEOUT_SECONDS = 30;
  private static final String READY_LINE = "Ready to accept connections";

  private final Process process;
  private final Path directory;
  private final int port;
  private final List<String> output = new ArrayList<>();

  private RedisServer(Process process, Path directory, int port) {
    this.process = process;
    this.directory = directory;
    this.port = port;
  }

  /**
   * Starts a server from {@link #binary()} with more command-line options, such as
   * {@code --replicaof} or {@code --cluster-enabled}, and returns once it replies to PING.
   */
  public static RedisServer start(String... options) {
    try {
      return start(binary(), freePort(), List.of(options));
    } catch (IOException e) {
      throw new UncheckedIOException("failed to start redis-server", e);
    }
  }

  /**
   * Starts a Redis Sentinel from {@link #binary()} that monitors the master on a port of
   * 127.0.0.1 as {@code masterName} with a quorum of 1. It considers the master down after
   * 500 ms without a reply and may start a new failover 2 s after one failed. Each of
   * {@code settings} is one more line of its config file, after the {@code sentinel monitor}
   * line, such as {@code sentinel auth-pass mymaster secret} or {@code requirepass secret}.
   */
  static RedisServer startSentinel(String masterName, int masterPort, String... settings) {
    try {
      int port = freePort();
      List<String> lines = new ArrayList<>(List.of("port " + port));
      lines.addAll(sentinelLines(masterName, masterPort, settings));
      return launchSentinel(lines, port, true);
    } catch (IOException e) {
      throw new UncheckedIOException("failed to start redis-server --sentinel", e);
    }
  }

  /**
   * Starts a Redis Sentinel as {@link #startSentinel} does, but that accepts clients only over
   * TLS with {@code certificates} on {@link #port()}, and connects to the master and replicas
   * over TLS ({@code tls-replication yes}), so {@code masterPort} must be the master's TLS port.
   * Returns once the sentinel reports its ID, without sending PING, which would need TLS.
   */
  static RedisServer startTlsSentinel(String masterName, int masterPort,
      TestCertificates certificates, String... settings) {
    try {
      int port = freePort();
      List<String> lines = new ArrayList<>(List.of("port 0", "tls-port " + port,
          "tls-cert-file " + certificates.certificate(),
          "tls-key-file " + certificates.privateKey(),
          "tls-ca-cert-file " + certificates.caCertificate(),
          "tls-auth-clients no", "tls-replication yes"));
      lines.addAll(sentinelLines(masterName, masterPort, settings));
      return launchSentinel(lines, port, false);
    } catch (IOException e) {
      throw new UncheckedIOException("failed to start redis-server --sentinel with TLS", e);
    }
  }

  private static List<String> sentinelLines(
      String masterName, int masterPort, String... settings) {
    List<String> lines = new ArrayList<>(List.of("bind 127.0.0.1",
        "sentinel monitor " + masterName + " 127.0.0.1 " + masterPort + " 1",
        "sentinel down-after-milliseconds " + masterName + " 500",
        "sentinel failover-timeout " + masterName + " 2000"));
    lines.addAll(List.of(settings));
    return lines;
  }

  /**
   * Writes the config to a new directory, because a sentinel rewrites its config file, and
   * starts the sentinel; {@code ping} is false for a TLS-only sentinel.
   */
  private static RedisServer launchSentinel(List<String> lines, int port, boolean ping)
      throws IOException {
    Path directory = Files.createTempDirectory("sluice-sentinel-test");
    Path config = directory.resolve("sentinel.conf");
    List<String> withDirectory = new ArrayList<>(lines);
    withDirectory.add("dir " + directory);
    Files.writeString(config, String.join("\n", withDirectory) + "\n");
    List<String> command = List.of(binary().toString(), config.toString(), "--sentinel");
    return launch(command, directory, port, "Sentinel ID is", ping);
  }

  /**
   * Starts a server from {@link #binary()} that accepts only TLS connections, on a free port of
   * 127.0.0.1, and does not ask clients for a certificate. {@link #port()} is the TLS port.
   * Returns once the server reports it is ready, without sending PING, which would need TLS.
   * {@code options} are more command-line options, such as {@code --requirepass} or
   * {@code --tls-cluster yes}.
   */
  public static RedisServer startTls(Path certificate, Path privateKey, Path caCertificate,
      String... options) {
    try {
      int port = freePort();
      Path directory = Files.createTempDirectory("sluice-redis-tls-test");
      List<String> command = List.of(binary().toString(), "--port", "0", "--tls-port",
          Integer.toString(port), "--tls-cert-file", certificate.toString(), "--tls-key-file",
          privateKey.toString(), "--tls-ca-cert-file", caCertificate.toString(),
          "--tls-auth-clients", "no", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
          "--dir", directory.toString(), "--daemonize", "no");
      List<String> withOptions = new ArrayList<>(command);
      withOptions.addAll(List.of(options));
      return launch(withOptions, directory, port, READY_LINE, false);
    } catch (IOException e) {
      throw new UncheckedIOException("failed to start redis-server with TLS", e);
    }
  }

  /** Starts the server from {@link #binary()} and returns once it replies to PING. */
  public static RedisServer start() {
    try {
      return start(binary(), freePort());
    } catch (IOException e) {
      throw new UncheckedIOException("failed to start redis-server", e);
    }
  }

  /** Starts the given server binary and returns once it replies to PING. */
  static RedisServer start(Path binary) {
    try {
      return start(binary, freePort());
    } catch (IOException e) {
      throw new UncheckedIOException("failed to find a free port", e);
    }
  }

  /**
   * Starts a new, empty server on the port of this one, which must have stopped, as a restart
   * after a crash would.
   */
  public RedisServer restart() {
    try {
      return start(binary(), port);
    } catch (IOException e) {
      throw new UncheckedIOException("failed to find redis-server", e);
    }
  }

  private static RedisServer start(Path binary, int port) {
    return start(binary, port, List.of());
  }

  private static RedisServer start(Path binary, int port, List<String> options) {
    try {
      Path directory = Files.createTempDirectory("sluice-redis-test");
      List<String> command = new ArrayList<>(List.of(binary.toString(), "--port",
          Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
          "--dir", directory.toString(), "--daemonize", "no"));
      command.addAll(options);
      return launch(command, directory, port, READY_LINE, true);
    } catch (IOException e) {
      throw new UncheckedIOException("failed to start redis-server", e);
    }
  }

  private static RedisServer launch(List<String> command, Path directory, int port,
      String readyLine, boolean ping) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    RedisServer server = new RedisServer(process, directory, port);
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    server.awaitReady(readyLine, ping);
    return server;
  }

  public int port() {
    return port;
  }

  /** Returns the URI of this server, such as {@code redis://127.0.0.1:40123}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Kills the server with SIGKILL, as a crash would, and waits until it has exited. */
  public void kill() {
    try {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops the server with SIGSTOP, as a hung process or a host that is gone looks to its
   * clients: connections open, but nothing replies. {@link #kill} and {@link #close} still end
   * it.
   */
  public void freeze() {
    signal("-STOP");
  }

  private void signal(String signal) {
    try {
      new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start()
          .waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException("failed to send " + signal + " to redis-server", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the server and deletes its directory. */
  @Override
  public void close() {
    signal("-CONT");
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteDirectory();
  }

  /** Waits for the log line that reports the server ready, then sends PING if asked to. */
  private void awaitReady(String readyLine, boolean ping) throws IOException {
    CountDownLatch ready = new CountDownLatch(1);
    Thread reader = new Thread(
        () -> drainOutput(ready, readyLine), "redis-server-" + port + "-output");
    reader.setDaemon(true);
    reader.start();
    boolean started;
    try {
      started = ready.await(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      started = false;
    }
    if (!started || !process.isAlive() || (ping && !answersPing())) {
      close();
      throw new IllegalStateException("redis-server on port " + port
          + " did not become ready within " + START_TIMEOUT_SECONDS + " s; output: " + output());
    }
  }

  private void drainOutput(CountDownLatch ready, String readyLine) {
    try (BufferedReader lines = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        synchronized (output) {
          output.add(line);
        }
        if (line.contains(readyLine)) {
          ready.countDown();
        }
      }
    } catch (IOException closed) {
      // The process ended; awaitReady reports what it printed.
    } finally {
      ready.countDown();
    }
  }

  private boolean answersPing() throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] reply = new byte[7];
      int read = socket.getInputStream().readNBytes(reply, 0, reply.length);
      String text = new String(reply, 0, read, StandardCharsets.US_ASCII);
      // A server that requires a password replies to PING without AUTH with a NOAUTH error.
      return text.equals("+PONG\r\n") || text.equals("-NOAUTH");
    }
  }

  private String output() {
    synchronized (output) {
      return String.join("\n", output);
    }
  }

  private void deleteDirectory() {
    File[] files = directory.toFile().listFiles();
    if (files != null) {
      for (File file : files) {
        file.delete();
      }
    }
    directory.toFile().delete();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /**
   * Returns redis-server from the PATH, or the one shipped in the embedded-redis artifact when
   * there is none or the system property {@code sluice.redis.server} is {@code shipped}.
   */
  static Path binary() throws IOException {
    if ("shipped".equals(System.getProperty("sluice.redis.server"))) {
      return extractShippedBinary();
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String directory : path.split(File.pathSeparator)) {
        Path candidate = Path.of(directory, "redis-server");
        if (Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    return extractShippedBinary();
  }

  static Path extractShippedBinary() throws IOException {
    String resource = shippedBinaryName();
    try (InputStream in = RedisServer.class.getResourceAsStream("/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("no redis-server on the PATH and no /" + resource
            + " on the test class path; install it with: apt-get install -y redis-server");
      }
      Path file = Files.createTempFile("redis-server-", "");
      file.toFile().deleteOnExit();
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      if (!file.toFile().setExecutable(true)) {
        throw new IOException("failed to make " + file + " executable");
      }
      return file;
    }
  }

  private static String shippedBinaryName() {
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    if (arch.equals("aarch64") || arch.equals("arm64")) {
      return "redis-server-6.2.7-linux-arm64";
    }
    return "redis-server-6.2.6-v5-linux-amd64";
  }
}
