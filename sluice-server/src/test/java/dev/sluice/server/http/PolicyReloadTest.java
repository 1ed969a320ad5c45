package dev.sluice.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Policy;
import dev.sluice.store.InMemoryStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reloading policies over a running server: a lowered limit applies to keys at once, and
 * reloading the same limits resets no key. The clock starts on a minute, so a 60 s window
 * runs from t = 0 to t = 60 s.
 */
class PolicyReloadTest {

  /** 1,700,000,040 s since the epoch: a multiple of 60 s. */
  private static final long START_NANOS = 1_700_000_040L * 1_000_000_000L;
  private static final long SECOND = 1_000_000_000L;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ManualTimeSource time = new ManualTimeSource(START_NANOS);
  private final HttpClient client = HttpClient.newHttpClient();
  private SluiceServer server;

  @BeforeEach
  void startServer() throws Exception {
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    server = SluiceServer.start(List.of(window(100)), store, "127.0.0.1", 0);
  }

  @AfterEach
  void stopServer() throws Exception {
    server.stop();
  }

  private static Policy window(long limit) {
    return Policy.of("api", Limit.of(Algorithm.FIXED_WINDOW, limit, Duration.ofSeconds(60)));
  }

  @Test
  void reload_lowerLimit_appliesAtOnceAndIdenticalReloadKeepsCounts() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(check().statusCode()).isEqualTo(200);
    }

    time.advanceNanos(10 * SECOND);
    server.reload(List.of(window(2)));
    time.advanceNanos(SECOND);
    HttpResponse<String> afterLowering = check();

    time.advanceNanos(9 * SECOND);
    server.reload(List.of(window(2)));
    time.advanceNanos(SECOND);
    HttpResponse<String> afterSameReload = check();

    time.advanceNanos(39 * SECOND);
    HttpResponse<String> nextWindow = check();

    // 3 used of the new limit 2 at t = 11 s: denied until the window ends at 60 s.
    assertThat(body(afterLowering).get("allowed").asBoolean()).isFalse();
    assertThat(afterLowering.headers().firstValue("Retry-After")).hasValue("49");
    // The identical reload at t = 20 s kept the count of 3, so t = 21 s is denied too.
    assertThat(body(afterSameReload).get("allowed").asBoolean()).isFalse();
    // t = 60 s opens a new window under the limit of 2: one used, one left.
    assertThat(body(nextWindow).get("allowed").asBoolean()).isTrue();
    assertThat(body(nextWindow).get("remaining").asLong()).isEqualTo(1);
  }

  @Test
  void reload_newPolicy_isServedAndListed() throws Exception {
    Policy login = Policy.of("login", Limit.of(Algorithm.GCRA, 5, Duration.ofMinutes(1)));

    server.reload(List.of(window(100), login));
    HttpResponse<String> policies = client.send(
        request("/v1/policies").GET().build(), BodyHandlers.ofString());

    assertThat(policies.body()).contains("\"name\":\"login\"");
  }

  private HttpResponse<String> check() throws Exception {
    HttpRequest request = request("/v1/check")
        .POST(BodyPublishers.ofString("{\"policy\": \"api\", \"key\": \"K\"}"))
        .build();
    return client.send(request, BodyHandlers.ofString());
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(30));
  }

  private static JsonNode body(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }
}
