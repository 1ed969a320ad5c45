package dev.sluice.bench.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * {@code POST /v1/check} on Jetty 12's core {@code Handler} API, with Jetty's default thread pool
 * and one connector on 127.0.0.1. The body is read without blocking a thread.
 *
 * <p>Run: {@code java -cp sluice-bench/target/benchmarks.jar
 * dev.sluice.bench.http.JettyCheckServer [port] [seconds]}.
 */
public final class JettyCheckServer {

  private static final int MAX_BODY_BYTES = 4_096;

  private JettyCheckServer() {}

  public static void main(String[] args) throws Exception {
    ServerArguments arguments = ServerArguments.parse(args);
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(arguments.port());
    server.addConnector(connector);
    server.setHandler(new CheckHandler(new CheckEndpoint()));
    server.start();
    System.out.println("jetty listening on 127.0.0.1:" + arguments.port()
        + " for " + arguments.seconds() + " s");
    Thread.sleep(arguments.seconds() * 1_000);
    server.stop();
  }

  /** Routes {@code POST /v1/check} to the endpoint; Jetty sends 404 for anything else. */
  private static final class CheckHandler extends Handler.Abstract {
    private final CheckEndpoint endpoint;

    CheckHandler(CheckEndpoint endpoint) {
      this.endpoint = endpoint;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      if (!HttpMethod.POST.is(request.getMethod())
          || !CheckEndpoint.PATH.equals(Request.getPathInContext(request))) {
        return false;
      }
      Content.Source.asByteArrayAsync(request, MAX_BODY_BYTES).whenComplete((body, failure) -> {
        if (failure != null) {
          Response.writeError(request, response, callback, failure);
          return;
        }
        CheckEndpoint.Reply reply = endpoint.check(body);
        response.setStatus(reply.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(reply.body()), callback);
      });
      return true;
    }
  }
}
