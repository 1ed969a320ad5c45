package dev.sluice.bench.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.RateLimiter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The work behind {@code POST /v1/check} that both benchmark servers share, so that they differ
 * only in their HTTP handling: parse {@code {"policy":"default","key":"k1","cost":1}} with
 * Jackson, decide with one Sluice limiter, and write a small JSON response.
 *
 * <p>The only policy, {@code default}, admits 1,000,000 per second per key, so under the load
 * test every request is admitted and the servers are compared on the same work.
 */
public final class CheckEndpoint {

  /** The path both servers serve. */
  public static final String PATH = "/v1/check";

  private static final Policy POLICY = Policy.of(
      "default", Limit.of(Algorithm.TOKEN_BUCKET, 1_000_000, Duration.ofSeconds(1)));

  private final ObjectMapper json = new ObjectMapper();
  private final RateLimiter limiter = RateLimiter.of(POLICY);

  /** A parsed request body. */
  record CheckRequest(String policy, String key, long cost) {}

  /** The response body. */
  record CheckResponse(
      boolean allowed, String limit, long remaining, long resetAfterMs, long retryAfterMs) {}

  /** An HTTP status with its JSON body. */
  public record Reply(int status, byte[] body) {}

  /** Decides the request in {@code body}; a body that is not a valid request gets a 400. */
  public Reply check(byte[] body) {
    CheckRequest request;
    try {
      request = json.readValue(body, CheckRequest.class);
    } catch (JsonProcessingException invalid) {
      return error(400, "invalid request body: " + invalid.getOriginalMessage());
    } catch (IOException unreadable) {
      throw new UncheckedIOException("failed to read a request body from memory", unreadable);
    }
    if (!POLICY.name().equals(request.policy())) {
      return error(404, "policy not found: " + request.policy());
    }
    if (request.key() == null || request.cost() < 0) {
      return error(400, "key is required and cost must be at least 0");
    }
    Decision decision = limiter.tryAcquire(request.key(), request.cost());
    return new Reply(decision.allowed() ? 200 : 429, write(toResponse(decision)));
  }

  private static CheckResponse toResponse(Decision decision) {
    return new CheckResponse(
        decision.allowed(),
        decision.limitName(),
        decision.remaining(),
        TimeUnit.NANOSECONDS.toMillis(decision.resetAfterNanos()),
        TimeUnit.NANOSECONDS.toMillis(decision.retryAfterNanos()));
  }

  private Reply error(int status, String message) {
    return new Reply(status, write(Map.of("error", message)));
  }

  private byte[] write(Object response) {
    try {
      return json.writeValueAsBytes(response);
    } catch (JsonProcessingException impossible) {
      throw new IllegalStateException("failed to write " + response, impossible);
    }
  }
}
