package dev.sluice.server.http;

import dev.sluice.Policy;
import dev.sluice.redis.FailureMode;
import dev.sluice.store.RateLimitStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * The check API on a Jetty server bound to one address. {@link #stop()} is graceful: the
 * server stops accepting connections, responds 503 to new requests on open connections, and
 * waits up to {@link #STOP_TIMEOUT} for requests in flight to complete, including one whose
 * body is still arriving, which keeps {@link #IDLE_TIMEOUT}. Connections without a request in
 * flight are closed after {@link #SHUTDOWN_IDLE_TIMEOUT} of silence.
 */
public final class SluiceServer {

  /** The longest {@link #stop()} waits for requests in flight. */
  public static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long a connection may stay silent, also in the middle of a request body, before it is
   * closed; bodies are read without holding a thread, so silent clients cost only a socket.
   */
  public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);

  /** The idle timeout, once a stop has begun, of a connection without a request in flight. */
  public static final Duration SHUTDOWN_IDLE_TIMEOUT = Duration.ofSeconds(1);

  private final Server server;
  private final ServerConnector connector;

  private final SluiceHandler handler;
  private final GracefulHandler graceful;
  private final InFlightIdleTimeouts idleTimeouts;

  private SluiceServer(Server server, ServerConnector connector, SluiceHandler handler,
      GracefulHandler graceful, InFlightIdleTimeouts idleTimeouts) {
    this.server = server;
    this.connector = connector;
    this.handler = handler;
    this.graceful = graceful;
    this.idleTimeouts = idleTimeouts;
  }

  /**
   * Binds to {@code host} and {@code port} and starts serving the policies.
   *
   * @param port the TCP port, or 0 for any free port; see {@link #port()}
   * @throws Exception if the address cannot be bound or Jetty fails to start
   */
  public static SluiceServer start(
      List<Policy> policies, RateLimitStore store, String host, int port) throws Exception {
    return start(policies, Map.of(), store, host, port);
  }

  /**
   * Binds to {@code host} and {@code port} and starts serving the policies, each policy named
   * in {@code failureModes} bound with that failure mode of a {@link dev.sluice.redis.RedisStore}.
   *
   * @throws IllegalArgumentException if {@code failureModes} is not empty and the store is not
   *     a Redis store
   * @throws Exception if the address cannot be bound or Jetty fails to start
   */
  public static SluiceServer start(List<Policy> policies, Map<String, FailureMode> failureModes,
      RateLimitStore store, String host, int port) throws Exception {
    return start(policies, failureModes, store, host, port, IDLE_TIMEOUT);
  }

  /** Starts like the public overload, with another idle timeout, so tests need not wait 10 s. */
  static SluiceServer start(List<Policy> policies, Map<String, FailureMode> failureModes,
      RateLimitStore store, String host, int port, Duration idleTimeout) throws Exception {
    SluiceHandler handler = new SluiceHandler(policies, failureModes, store);
    Server server = new Server();
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(host);
    connector.setPort(port);
    connector.setIdleTimeout(idleTimeout.toMillis());
    // InFlightIdleTimeouts sets the timeouts of a stop per connection instead.
    connector.setShutdownIdleTimeout(-1);
    server.addConnector(connector);
    InFlightIdleTimeouts idleTimeouts = new InFlightIdleTimeouts(
        handler, idleTimeout.toMillis(), SHUTDOWN_IDLE_TIMEOUT.toMillis());
    GracefulHandler graceful = new GracefulHandler(idleTimeouts);
    server.setHandler(graceful);
    server.setErrorHandler(new JsonErrorHandler());
    server.setStopTimeout(STOP_TIMEOUT.toMillis());
    server.setStopAtShutdown(false);
    try {
      server.start();
    } catch (Exception e) {
      server.stop();
      throw e;
    }
    return new SluiceServer(server, connector, handler, graceful, idleTimeouts);
  }

  /** Serves another set of policies from the next request on; see {@link SluiceHandler#reload}. */
  public void reload(List<Policy> policies) {
    reload(policies, Map.of());
  }

  /**
   * Serves another set of policies, with their own failure modes, from the next request on; see
   * {@link SluiceHandler#reload}.
   */
  public void reload(List<Policy> policies, Map<String, FailureMode> failureModes) {
    handler.reload(policies, failureModes);
  }

  /** The port actually bound, also when 0 was requested. */
  public int port() {
    return connector.getLocalPort();
  }

  /** The bound address as {@code host:port}, with an IPv6 host in brackets. */
  public String address() {
    String host = connector.getHost();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  /** Returns the number of requests being served, including those whose body is arriving. */
  long requestsInFlight() {
    return graceful.getCurrentRequestCount();
  }

  /** Returns true once a graceful stop has begun. */
  boolean isShutDown() {
    return idleTimeouts.isShutdown();
  }

  /** Stops gracefully; see the class documentation. */
  public void stop() throws Exception {
    server.stop();
  }

  /** Waits until the server has stopped. */
  public void join() throws InterruptedException {
    server.join();
  }
}
