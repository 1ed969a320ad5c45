package dev.sluice.server.http;

import dev.sluice.Decision;
import dev.sluice.Policy;
import dev.sluice.redis.FailureMode;
import dev.sluice.redis.RedisStore;
import dev.sluice.server.config.MessageText;
import dev.sluice.store.PolicyBinding;
import dev.sluice.store.RateLimitStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the check API. A decision is always 200, allowed or not, because the request to this
 * service succeeded; the caller reads {@code allowed} and applies it. Logs nothing per request
 * above DEBUG.
 */
public final class SluiceHandler extends Handler.Abstract {

  /** The largest accepted request body: 64 KiB. */
  public static final int MAX_BODY_BYTES = 64 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(SluiceHandler.class);
  private static final String JSON = "application/json";

  private final RateLimitStore store;
  private volatile Routes routes;

  /** What the handler serves for one set of policies, replaced as a whole on reload. */
  private record Routes(Map<String, Policy> policies, Map<String, PolicyBinding> bindings,
      Map<String, String> policyHeaders, String policiesBody) {

    static Routes of(
        List<Policy> policies, Map<String, FailureMode> failureModes, RateLimitStore store) {
      Map<String, Policy> byName = new LinkedHashMap<>();
      Map<String, PolicyBinding> bindings = new LinkedHashMap<>();
      Map<String, String> policyHeaders = new LinkedHashMap<>();
      for (Policy policy : policies) {
        requireServableName(policy.name());
        byName.put(policy.name(), policy);
        bindings.put(policy.name(), bind(store, policy, failureModes.get(policy.name())));
        policyHeaders.put(policy.name(), RateLimitHeaders.policy(policy));
      }
      return new Routes(
          byName, bindings, policyHeaders, JsonBodies.policies(policies, failureModes));
    }

    /** Rejects a name that no request could reach, since longer names get a 400. */
    private static void requireServableName(String name) {
      int length = name.codePointCount(0, name.length());
      if (length > CheckRequest.MAX_POLICY_NAME_LENGTH) {
        throw new IllegalArgumentException("policy name must be at most "
            + CheckRequest.MAX_POLICY_NAME_LENGTH + " characters, got " + length);
      }
    }

    /** Binds with the policy's own failure mode when it has one, which needs a Redis store. */
    private static PolicyBinding bind(
        RateLimitStore store, Policy policy, FailureMode failureMode) {
      if (failureMode == null) {
        return store.bind(policy);
      }
      if (store instanceof RedisStore redis) {
        return redis.bind(policy, failureMode);
      }
      throw new IllegalArgumentException("policy '" + policy.name() + "' has its own failure"
          + " mode, which only a RedisStore takes, but the store is a "
          + store.getClass().getSimpleName());
    }
  }

  /**
   * Binds every policy to the store; the policies are served in the given order.
   *
   * @throws IllegalArgumentException if a policy name is longer than 64 characters
   */
  public SluiceHandler(List<Policy> policies, RateLimitStore store) {
    this(policies, Map.of(), store);
  }

  /**
   * Binds every policy to the store, each policy named in {@code failureModes} with that
   * failure mode; the policies are served in the given order.
   *
   * @throws IllegalArgumentException if {@code failureModes} is not empty and the store is not
   *     a {@link RedisStore}, or if a policy name is longer than 64 characters
   */
  public SluiceHandler(
      List<Policy> policies, Map<String, FailureMode> failureModes, RateLimitStore store) {
    this.store = store;
    this.routes = Routes.of(policies, failureModes, store);
  }

  /**
   * Serves another set of policies from the next request on. Each policy is bound to the store
   * again, which keeps the state of its keys when its limits keep their names and algorithms,
   * so that changed numbers apply at once and an unchanged policy loses nothing.
   */
  public void reload(List<Policy> policies, Map<String, FailureMode> failureModes) {
    routes = Routes.of(policies, failureModes, store);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    try {
      route(request, response, callback);
    } catch (ApiException e) {
      reject(request, response, callback, e, RequestBody.Read.NONE);
    } catch (RuntimeException e) {
      fail(request, response, callback, e);
    }
    return true;
  }

  private void route(Request request, Response response, Callback callback)
      throws ApiException {
    String path = Request.getPathInContext(request);
    String method = request.getMethod();
    switch (path) {
      case "/v1/check" -> {
        requireMethod(method, "POST", path);
        readBodyThenCheck(request, response, callback);
      }
      case "/v1/policies" -> {
        requireReadMethod(method, path);
        send(response, callback, 200, routes.policiesBody());
      }
      case "/healthz" -> {
        requireReadMethod(method, path);
        send(response, callback, 200, JsonBodies.health());
      }
      default -> throw new ApiException(404, null,
          "no endpoint at " + MessageText.truncate(path) + "; the endpoints are POST /v1/check,"
              + " GET /v1/policies and GET /healthz");
    }
  }

  /**
   * Reads the body without holding a thread while it arrives, so that clients sending slowly
   * cannot exhaust the thread pool, then decides. A body that declares a length above
   * {@link #MAX_BODY_BYTES} is rejected before it is read, and a chunked one as soon as it
   * passes that size. The rest of either is read and dropped before the response (see
   * {@link RequestBody}).
   */
  private void readBodyThenCheck(Request request, Response response, Callback callback)
      throws ApiException {
    requireIdentityEncoding(request);
    long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
    if (declared > MAX_BODY_BYTES) {
      throw tooLarge(declared + " bytes");
    }
    RequestBody.readAtMost(request, MAX_BODY_BYTES).whenComplete((body, failure) -> {
      try {
        if (failure != null) {
          rejectUnreadable(request, response, callback, failure);
          return;
        }
        check(body, response, callback);
      } catch (ApiException e) {
        reject(request, response, callback, e, RequestBody.Read.PART);
      } catch (RuntimeException e) {
        fail(request, response, callback, e);
      }
    });
  }

  /**
   * Rejects a compressed body with 415, as RFC 9110 (15.5.16) suggests for an unsupported
   * content coding, before reading it, because the server does not decompress bodies.
   */
  private static void requireIdentityEncoding(Request request) throws ApiException {
    List<String> codings = request.getHeaders().getCSV(HttpHeader.CONTENT_ENCODING, false);
    for (String coding : codings) {
      if (!coding.equalsIgnoreCase("identity")) {
        throw new ApiException(415, null, "Content-Encoding '" + MessageText.truncate(coding)
            + "' is not supported; send the body as uncompressed JSON, without"
            + " Content-Encoding");
      }
    }
  }

  private void check(byte[] body, Response response, Callback callback) throws ApiException {
    CheckRequest check = CheckRequest.parse(body);
    Routes current = routes;
    PolicyBinding binding = current.bindings().get(check.policy());
    if (binding == null) {
      throw new ApiException(404, "policy", "policy '" + check.policy()
          + "' not found; the loaded policies are "
          + MessageText.list(current.bindings().keySet()));
    }
    Decision decision = binding.tryAcquire(check.key(), check.cost(), Long.MAX_VALUE);
    // The key is left out because clients often use API keys or tokens as keys.
    LOG.debug("policy={} cost={} decision={}", check.policy(), check.cost(), decision);

    Policy policy = current.policies().get(check.policy());
    HttpFields.Mutable headers = response.getHeaders();
    headers.put("RateLimit-Policy", RateLimitHeaders.policy(
        policy, decision, current.policyHeaders().get(check.policy())));
    headers.put("RateLimit", RateLimitHeaders.rateLimit(policy, decision));
    if (!decision.allowed() && !decision.costExceedsLimit()) {
      headers.put(HttpHeader.RETRY_AFTER, RateLimitHeaders.retryAfter(decision.retryAfterNanos()));
    }
    send(response, callback, 200, JsonBodies.decision(check.policy(), decision));
  }

  /**
   * Rejects a body that could not be read. The rest of a body that is too large is read and
   * dropped as for any rejection, and after a failed read the response closes the connection
   * (see {@link RequestBody.Read#FAILED}).
   */
  private static void rejectUnreadable(
      Request request, Response response, Callback callback, Throwable failure) {
    Throwable cause = unwrap(failure);
    RequestBody.Read read = cause instanceof RequestBody.TooLargeException
        ? RequestBody.Read.PART
        : RequestBody.Read.FAILED;
    reject(request, response, callback, unreadable(cause), read);
  }


  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  /** Returns the error for a body that could not be read: too large, too slow or cut off. */
  private static ApiException unreadable(Throwable cause) {
    if (cause instanceof RequestBody.TooLargeException) {
      return tooLarge("more than " + MAX_BODY_BYTES + " bytes");
    }
    if (cause instanceof TimeoutException) {
      return new ApiException(408, "body",
          "request body did not arrive within the idle timeout; send the whole body at once");
    }
    if (cause instanceof EofException) {
      // Jetty reports a cut-off body and a bad chunk size alike, as "Early EOF".
      return ApiException.badRequest("body", "request body ended before it was complete: the"
          + " connection closed before Content-Length bytes arrived, or the chunked encoding is"
          + " invalid; expected a complete body");
    }
    return ApiException.badRequest("body", "request body cannot be read: " + cause.getMessage());
  }

  private static ApiException tooLarge(String size) {
    return ApiException.badRequest("body",
        "request body must be at most " + MAX_BODY_BYTES + " bytes, got " + size);
  }

  /**
   * Responds to a request with the error, once the rest of its body has been read (see
   * {@link RequestBody}).
   *
   * @param read how much of the body the handler had read
   */
  private static void reject(Request request, Response response, Callback callback,
      ApiException e, RequestBody.Read read) {
    LOG.debug("rejected {} {}: {}", request.getMethod(), request.getHttpURI().getPath(),
        e.getMessage());
    if (e.status() == 405) {
      response.getHeaders().put(HttpHeader.ALLOW, allowedMethods(request));
    }
    if (e.status() == 415) {
      // The codings the server accepts in a request body (RFC 9110, 12.5.3).
      response.getHeaders().put(HttpHeader.ACCEPT_ENCODING, "identity");
    }
    RequestBody.thenRespond(request, response, read, () ->
        send(response, callback, e.status(), JsonBodies.error(e.getMessage(), e.field())));
  }

  private static void fail(
      Request request, Response response, Callback callback, RuntimeException e) {
    LOG.error("failed to serve {} {}", request.getMethod(), request.getHttpURI().getPath(), e);
    send(response, callback, 500,
        JsonBodies.error("internal error; the server log has the details", null));
  }

  private static void requireMethod(String method, String expected, String path)
      throws ApiException {
    if (!method.equals(expected)) {
      throw new ApiException(405, null,
          "method " + method + " is not allowed on " + path + "; use " + expected);
    }
  }

  /** Accepts GET, and HEAD, which load balancers use for health probes. */
  private static void requireReadMethod(String method, String path) throws ApiException {
    if (!method.equals("HEAD")) {
      requireMethod(method, "GET", path);
    }
  }

  private static String allowedMethods(Request request) {
    return Request.getPathInContext(request).equals("/v1/check") ? "POST" : "GET, HEAD";
  }

  private static void send(Response response, Callback callback, int status, String json) {
    response.setStatus(status);
    response.getHeaders().put(new HttpField(HttpHeader.CONTENT_TYPE, JSON));
    Content.Sink.write(response, true, json, callback);
  }
}
