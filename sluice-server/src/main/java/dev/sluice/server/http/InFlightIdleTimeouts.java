package dev.sluice.server.http;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.Graceful;

/**
 * Sets the idle timeouts of a graceful stop per connection. When the stop begins, a connection
 * with a request in flight keeps its idle timeout, so that a body still arriving can complete
 * within the stop timeout. Every other connection, and each busy one once its response is
 * done, gets the shorter shutdown idle timeout, so that idle keep-alive connections do not
 * hold up the stop.
 *
 * <p>Jetty's connector would instead shorten the idle timeout of every connection (to 1 s by
 * default in Jetty 12.1), which failed a request whose body was still arriving. The connector's
 * own shutdown idle timeout must therefore be disabled (set below 0). Counts one request per
 * connection, as HTTP/1.1 carries, so it is not suited to HTTP/2.
 */
final class InFlightIdleTimeouts extends Handler.Wrapper implements Graceful {

  private final long idleTimeoutMillis;
  private final long shutdownIdleTimeoutMillis;
  private final Set<EndPoint> busy = ConcurrentHashMap.newKeySet();
  private volatile boolean shutdown;

  InFlightIdleTimeouts(Handler handler, long idleTimeoutMillis, long shutdownIdleTimeoutMillis) {
    super(handler);
    this.idleTimeoutMillis = idleTimeoutMillis;
    this.shutdownIdleTimeoutMillis = shutdownIdleTimeoutMillis;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
    busy.add(endPoint);
    // A stop that began after the request was admitted but before it was added to busy may
    // have shortened this connection's idle timeout; restore it.
    if (shutdown) {
      endPoint.setIdleTimeout(idleTimeoutMillis);
    }
    boolean handled = false;
    try {
      handled = super.handle(request, response, new Callback.Nested(callback) {
        @Override
        public void succeeded() {
          release(endPoint);
          super.succeeded();
        }

        @Override
        public void failed(Throwable failure) {
          release(endPoint);
          super.failed(failure);
        }
      });
      return handled;
    } finally {
      if (!handled) {
        release(endPoint);
      }
    }
  }

  private void release(EndPoint endPoint) {
    busy.remove(endPoint);
    if (shutdown) {
      endPoint.setIdleTimeout(shutdownIdleTimeoutMillis);
    }
  }

  /** Shortens the idle timeout of every connection without a request in flight. */
  @Override
  public CompletableFuture<Void> shutdown() {
    shutdown = true;
    for (Connector connector : getServer().getConnectors()) {
      for (EndPoint endPoint : connector.getConnectedEndPoints()) {
        if (!busy.contains(endPoint)) {
          endPoint.setIdleTimeout(shutdownIdleTimeoutMillis);
        }
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public boolean isShutdown() {
    return shutdown;
  }

  @Override
  protected void doStart() throws Exception {
    shutdown = false;
    super.doStart();
  }
}
