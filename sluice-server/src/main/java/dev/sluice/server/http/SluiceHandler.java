package dev.sluice.server.http;

import dev.sluice.Decision;
import dev.sluice.Policy;
import dev.sluice.store.PolicyBinding;
import dev.sluice.store.RateLimitStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
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

  private final Map<String, PolicyBinding> bindings = new LinkedHashMap<>();
  private final Map<String, String> policyHeaders = new LinkedHashMap<>();
  private final String policiesBody;

  /** Binds every policy to the store; the policies are served in the given order. */
  public SluiceHandler(List<Policy> policies, RateLimitStore store) {
    for (Policy policy : policies) {
      bindings.put(policy.name(), store.bind(policy));
      policyHeaders.put(policy.name(), RateLimitHeaders.policy(policy));
    }
    this.policiesBody = JsonBodies.policies(policies);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    try {
      route(request, response, callback);
    } catch (ApiException e) {
      LOG.debug("rejected {} {}: {}", request.getMethod(), request.getHttpURI().getPath(),
          e.getMessage());
      if (e.status() == 405) {
        response.getHeaders().put(HttpHeader.ALLOW, allowedMethod(request));
      }
      send(response, callback, e.status(), JsonBodies.error(e.getMessage(), e.field()));
    } catch (RuntimeException e) {
      LOG.error("failed to serve {} {}", request.getMethod(), request.getHttpURI().getPath(), e);
      send(response, callback, 500,
          JsonBodies.error("internal error; the server log has the details", null));
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
        check(request, response, callback);
      }
      case "/v1/policies" -> {
        requireMethod(method, "GET", path);
        send(response, callback, 200, policiesBody);
      }
      case "/healthz" -> {
        requireMethod(method, "GET", path);
        send(response, callback, 200, JsonBodies.health());
      }
      default -> throw new ApiException(404, null,
          "no endpoint at " + path + "; the endpoints are POST /v1/check, GET /v1/policies"
              + " and GET /healthz");
    }
  }

  private void check(Request request, Response response, Callback callback)
      throws ApiException {
    CheckRequest check = CheckRequest.parse(readBody(request));
    PolicyBinding binding = bindings.get(check.policy());
    if (binding == null) {
      throw new ApiException(404, "policy", "policy '" + check.policy()
          + "' not found; the loaded policies are " + String.join(", ", bindings.keySet()));
    }
    Decision decision = binding.tryAcquire(check.key(), check.cost(), Long.MAX_VALUE);
    // The key is left out because clients often use API keys or tokens as keys.
    LOG.debug("policy={} cost={} decision={}", check.policy(), check.cost(), decision);

    HttpFields.Mutable headers = response.getHeaders();
    headers.put("RateLimit-Policy", policyHeaders.get(check.policy()));
    headers.put("RateLimit", RateLimitHeaders.rateLimit(
        decision.limitName(), decision.remaining(), decision.resetAfterNanos()));
    if (!decision.allowed() && !decision.costExceedsLimit()) {
      headers.put(HttpHeader.RETRY_AFTER, RateLimitHeaders.retryAfter(decision.retryAfterNanos()));
    }
    send(response, callback, 200, JsonBodies.decision(check.policy(), decision));
  }

  /**
   * Reads the whole body. A body that declares a length above {@link #MAX_BODY_BYTES} is
   * rejected unread, and a chunked one as soon as it passes that size.
   */
  private static byte[] readBody(Request request) throws ApiException {
    long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
    if (declared > MAX_BODY_BYTES) {
      throw tooLarge(declared + " bytes");
    }
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
      if (body.length > MAX_BODY_BYTES) {
        throw tooLarge("more than " + MAX_BODY_BYTES + " bytes");
      }
      return body;
    } catch (IOException e) {
      throw ApiException.badRequest("body", "request body cannot be read: " + e.getMessage());
    }
  }

  private static ApiException tooLarge(String size) {
    return ApiException.badRequest("body",
        "request body must be at most " + MAX_BODY_BYTES + " bytes, got " + size);
  }

  private static void requireMethod(String method, String expected, String path)
      throws ApiException {
    if (!method.equals(expected)) {
      throw new ApiException(405, null,
          "method " + method + " is not allowed on " + path + "; use " + expected);
    }
  }

  private static String allowedMethod(Request request) {
    return Request.getPathInContext(request).equals("/v1/check") ? "POST" : "GET";
  }

  private static void send(Response response, Callback callback, int status, String json) {
    response.setStatus(status);
    response.getHeaders().put(new HttpField(HttpHeader.CONTENT_TYPE, JSON));
    Content.Sink.write(response, true, json, callback);
  }
}
