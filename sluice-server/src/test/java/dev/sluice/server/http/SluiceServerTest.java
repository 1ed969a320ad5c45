package dev.sluice.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.Algorithm;
import dev.sluice.Limit;
import dev.sluice.Mode;
import dev.sluice.Policy;
import dev.sluice.store.AtCapacity;
import dev.sluice.store.InMemoryStore;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Drives a real server over HTTP on a loopback port. The store reads a manual clock that stays
 * at the start of a 10 s window, so no window rolls over during a test. Each test uses its own
 * keys.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SluiceServerTest {

  /** 1,700,000,000 s since the epoch: a multiple of 10 s, so a 10 s window starts here. */
  private static final long START_NANOS = 1_700_000_000L * 1_000_000_000L;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ManualTimeSource time = new ManualTimeSource(START_NANOS);
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10))
      .build();
  private SluiceServer server;

  @BeforeAll
  void startServer() throws Exception {
    List<Policy> policies = List.of(
        Policy.of("window", Limit.of(Algorithm.FIXED_WINDOW, 5, Duration.ofSeconds(10))),
        Policy.of("bucket",
            Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withBurst(20)),
        Policy.of("shaped", Limit.of(Algorithm.LEAKY_BUCKET, 5, Duration.ofSeconds(1))
            .withBurst(10).withMode(Mode.SHAPE)),
        Policy.of("hourly", Limit.of(Algorithm.FIXED_WINDOW, 100, Duration.ofHours(1))),
        Policy.of("api",
            Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withBurst(20)
                .withName("per-second"),
            Limit.of(Algorithm.FIXED_WINDOW, 1000, Duration.ofHours(1)).withName("per-hour")));
    InMemoryStore store = InMemoryStore.builder().timeSource(time).build();
    server = SluiceServer.start(policies, store, "127.0.0.1", 0);
  }

  @AfterAll
  void stopServer() throws Exception {
    server.stop();
  }

  @Test
  void check_fixedWindowFiveInTenSeconds_deniesSixthWithRetryAfterTen() throws Exception {
    List<HttpResponse<String>> responses = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      responses.add(check("{\"policy\": \"window\", \"key\": \"fw\"}"));
    }

    // Requests 1 to 5 leave 4, 3, 2, 1, 0; the window ends 10 s after the clock's instant.
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> response = responses.get(i);
      JsonNode body = JSON.readTree(response.body());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(body.get("allowed").booleanValue()).isTrue();
      assertThat(body.get("remaining").longValue()).isEqualTo(4 - i);
      assertThat(response.headers().firstValue("RateLimit"))
          .hasValue("\"5/10s\";r=" + (4 - i) + ";t=10");
      assertThat(response.headers().firstValue("Retry-After")).isEmpty();
    }
    HttpResponse<String> sixth = responses.get(5);
    JsonNode body = JSON.readTree(sixth.body());
    assertThat(sixth.statusCode()).isEqualTo(200);
    assertThat(body.get("allowed").booleanValue()).isFalse();
    assertThat(body.get("remaining").longValue()).isZero();
    assertThat(body.get("retry_after_ms").longValue()).isEqualTo(10_000);
    assertThat(body.get("reset_after_ms").longValue()).isEqualTo(10_000);
    assertThat(sixth.headers().firstValue("Retry-After")).hasValue("10");
    assertThat(sixth.headers().firstValue("RateLimit")).hasValue("\"5/10s\";r=0;t=10");
    assertThat(sixth.headers().firstValue("RateLimit-Policy")).hasValue("\"5/10s\";q=5;w=10");
  }

  @Test
  void check_allowed_returnsEveryDecisionField() throws Exception {
    HttpResponse<String> response = check("{\"policy\": \"bucket\", \"key\": \"fields\"}");

    // A full bucket of 20 gives 19 after one; one token refills in 1 s / 10 = 100 ms.
    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(body.get("allowed").booleanValue()).isTrue();
    assertThat(body.get("policy").textValue()).isEqualTo("bucket");
    assertThat(body.get("limit_name").textValue()).isEqualTo("10/1s");
    assertThat(body.get("limit").longValue()).isEqualTo(10);
    assertThat(body.get("remaining").longValue()).isEqualTo(19);
    assertThat(body.get("reset_after_ms").longValue()).isEqualTo(100);
    assertThat(body.get("retry_after_ms").longValue()).isZero();
    assertThat(body.get("delay_ms").longValue()).isZero();
    assertThat(body.has("reason")).isFalse();
    assertThat(response.headers().firstValue("RateLimit")).hasValue("\"10/1s\";r=19;t=1");
    assertThat(response.headers().firstValue("RateLimit-Policy")).hasValue("\"10/1s\";q=10;w=1");
  }

  @Test
  void check_bucketEmptied_deniesWithRetryAfterOneSecond() throws Exception {
    HttpResponse<String> drain =
        check("{\"policy\": \"bucket\", \"key\": \"drain\", \"cost\": 20}");
    HttpResponse<String> denied = check("{\"policy\": \"bucket\", \"key\": \"drain\"}");

    // The next token comes after 100 ms, shown as 1 s; a full refill of 20 takes 2 s.
    assertThat(JSON.readTree(drain.body()).get("allowed").booleanValue()).isTrue();
    JsonNode body = JSON.readTree(denied.body());
    assertThat(denied.statusCode()).isEqualTo(200);
    assertThat(body.get("allowed").booleanValue()).isFalse();
    assertThat(body.get("retry_after_ms").longValue()).isEqualTo(100);
    assertThat(body.get("reset_after_ms").longValue()).isEqualTo(2_000);
    assertThat(denied.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(denied.headers().firstValue("RateLimit")).hasValue("\"10/1s\";r=0;t=2");
  }

  @Test
  void check_costAboveBurst_reportsCostExceedsLimitWithoutRetryAfter() throws Exception {
    HttpResponse<String> response =
        check("{\"policy\": \"bucket\", \"key\": \"big\", \"cost\": 21}");

    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(body.get("allowed").booleanValue()).isFalse();
    assertThat(body.get("retry_after_ms").longValue()).isEqualTo(-1);
    assertThat(body.get("reason").textValue()).isEqualTo("cost_exceeds_limit");
    assertThat(response.headers().firstValue("Retry-After")).isEmpty();
    assertThat(response.headers().firstValue("RateLimit")).hasValue("\"10/1s\";r=20;t=0");
  }

  @Test
  void check_shapedSecondRequest_reportsDelay() throws Exception {
    check("{\"policy\": \"shaped\", \"key\": \"shape\"}");
    HttpResponse<String> second = check("{\"policy\": \"shaped\", \"key\": \"shape\"}");

    // One unit of water ahead leaks in 1 s / 5 = 200 ms.
    JsonNode body = JSON.readTree(second.body());
    assertThat(body.get("allowed").booleanValue()).isTrue();
    assertThat(body.get("delay_ms").longValue()).isEqualTo(200);
  }

  @Test
  void check_costZero_reportsWithoutCharging() throws Exception {
    check("{\"policy\": \"window\", \"key\": \"peek\", \"cost\": 0}");
    HttpResponse<String> first = check("{\"policy\": \"window\", \"key\": \"peek\"}");

    assertThat(JSON.readTree(first.body()).get("remaining").longValue()).isEqualTo(4);
  }

  @Test
  void check_multiLimitPolicy_listsEveryLimitInPolicyHeader() throws Exception {
    HttpResponse<String> response = check("{\"policy\": \"api\", \"key\": \"multi\"}");

    assertThat(response.headers().firstValue("RateLimit-Policy"))
        .hasValue("\"per-second\";q=10;w=1, \"per-hour\";q=1000;w=3600");
    assertThat(JSON.readTree(response.body()).get("limit_name").textValue())
        .isEqualTo("per-second");
  }

  @Test
  void check_eightThreadsOnOneKey_admitExactlyTheLimit() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(8);
    List<Future<Integer>> admitted = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      admitted.add(threads.submit(() -> {
        int count = 0;
        for (int i = 0; i < 100; i++) {
          String body = check("{\"policy\": \"hourly\", \"key\": \"shared\"}").body();
          count += JSON.readTree(body).get("allowed").booleanValue() ? 1 : 0;
        }
        return count;
      }));
    }
    int total = 0;
    for (Future<Integer> count : admitted) {
      total += count.get(120, TimeUnit.SECONDS);
    }
    threads.shutdown();

    // 800 requests against 100 per hour, all within one window.
    assertThat(total).isEqualTo(100);
  }

  @Test
  void check_badInput_returns400NamingTheField() throws Exception {
    String tooLarge = "2305843009213693952"; // 2^61, one above the largest burst
    Object[][] cases = {
        {"[1, 2]", "body", "request body must be a JSON object such as {\"policy\": \"default\","
            + " \"key\": \"user-42\"}, got an array"},
        {"", "body", "request body is empty; expected a JSON object"},
        {"{\"key\": \"a\"}", "policy",
            "policy is missing; expected a string, the name of a loaded policy"},
        {"{\"policy\": 5, \"key\": \"a\"}", "policy",
            "policy must be a string, the name of a loaded policy, got 5"},
        {"{\"policy\": \"\", \"key\": \"a\"}", "policy",
            "policy must not be empty; expected a string, the name of a loaded policy"},
        {"{\"policy\": \"window\"}", "key",
            "key is missing; expected a non-empty string that identifies the client"},
        {"{\"policy\": \"window\", \"key\": \"\"}", "key",
            "key must not be empty; expected a non-empty string that identifies the client"},
        {"{\"policy\": \"window\", \"key\": [\"a\"]}", "key",
            "key must be a non-empty string that identifies the client, got an array"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": -1}", "cost",
            "cost must be at least 0, got -1"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": 1.5}", "cost",
            "cost must be a whole number from 0 to 2305843009213693951, got 1.5"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": \"3\"}", "cost",
            "cost must be a whole number from 0 to 2305843009213693951, got the string \"3\""},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": null}", "cost",
            "cost must be a whole number from 0 to 2305843009213693951, got null"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": " + tooLarge + "}", "cost",
            "cost must be at most 2305843009213693951, got " + tooLarge},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": 99999999999999999999}", "cost",
            "cost must be at most 2305843009213693951, got 99999999999999999999"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": 1e999999999}", "cost",
            "cost must be at most 2305843009213693951, got 1e999999999"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": -1e999999999}", "cost",
            "cost must be at least 0, got -1e999999999"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": 3e18}", "cost",
            "cost must be at most 2305843009213693951, got 3e18"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": 1.0}", "cost",
            "cost must be a whole number from 0 to 2305843009213693951, got 1.0"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"cost\": 1e99999999999}", "body",
            "request body has a number whose exponent is out of range; expected cost as a whole"
                + " number from 0 to 2305843009213693951"},
        {"{\"policy\": \"window\", \"key\": \"a\", \"weight\": 2}", "weight",
            "unknown field 'weight'; expected policy, key and optionally cost"},
    };
    for (Object[] c : cases) {
      HttpResponse<String> response = check((String) c[0]);
      JsonNode body = JSON.readTree(response.body());
      assertThat(response.statusCode()).as("status for %s", c[0]).isEqualTo(400);
      assertThat(body.get("field").textValue()).as("field for %s", c[0]).isEqualTo(c[1]);
      assertThat(body.get("error").textValue()).as("error for %s", c[0]).isEqualTo(c[2]);
    }
  }

  @Test
  void check_costWithExponentOrFraction_quotesItAsWritten() throws Exception {
    String longCost = "1" + "0".repeat(150) + ".0";
    String[][] cases = {
        {"1E0", "cost must be a whole number from 0 to 2305843009213693951, got 1E0"},
        {"0.5e1", "cost must be a whole number from 0 to 2305843009213693951, got 0.5e1"},
        {"-0.0", "cost must be a whole number from 0 to 2305843009213693951, got -0.0"},
        {"2E-0", "cost must be a whole number from 0 to 2305843009213693951, got 2E-0"},
        {"-1.0", "cost must be at least 0, got -1.0"},
        // The first 100 characters, then the length of the whole number.
        {longCost, "cost must be at most 2305843009213693951, got 1" + "0".repeat(99)
            + "\u2026 (153 characters)"},
    };
    for (String[] c : cases) {
      HttpResponse<String> response =
          check("{\"policy\": \"window\", \"key\": \"a\", \"cost\": " + c[0] + "}");

      JsonNode body = JSON.readTree(response.body());
      assertThat(response.statusCode()).as("status for %s", c[0]).isEqualTo(400);
      assertThat(body.get("field").textValue()).as("field for %s", c[0]).isEqualTo("cost");
      assertThat(body.get("error").textValue()).as("error for %s", c[0]).isEqualTo(c[1]);
    }
  }

  @Test
  void check_controlCharactersInBody_areEscapedInErrors() throws Exception {
    String unknownField = "{\"policy\": \"window\", \"key\": \"a\", \"a\\nb\\u001b[31m\": 1}";
    String unknownPolicy = "{\"policy\": \"x\\u001by\\u2028\", \"key\": \"a\"}";
    String stringCost = "{\"policy\": \"window\", \"key\": \"a\", \"cost\": \"3\\r\\\\\"}";
    String rawEscape = "{\"policy\": \"window\", \"key\": \"a\", \"cost\": tru\u001b}";
    Object[][] cases = {
        // body, status, field, error
        {unknownField, 400, "a\\x0ab\\x1b[31m",
            "unknown field 'a\\x0ab\\x1b[31m'; expected policy, key and optionally cost"},
        {unknownPolicy, 404, "policy", "policy 'x\\x1by\\u{2028}' not found; the loaded"
            + " policies are window, bucket, shaped, hourly, api"},
        {stringCost, 400, "cost", "cost must be a whole number from 0 to 2305843009213693951,"
            + " got the string \"3\\x0d\\\\\""},
        // The token starts after the 41 characters of {"policy": ... "cost": .
        {rawEscape, 400, "body", "request body is not valid JSON at line 1, column 42:"
            + " Unrecognized token 'tru\\x1b'; expected a JSON object such as {\"policy\":"
            + " \"default\", \"key\": \"user-42\"}"},
    };
    for (Object[] c : cases) {
      HttpResponse<String> response = check((String) c[0]);

      JsonNode body = JSON.readTree(response.body());
      assertThat(response.statusCode()).as("status for %s", c[0]).isEqualTo(c[1]);
      assertThat(body.get("field").textValue()).as("field for %s", c[0]).isEqualTo(c[2]);
      assertThat(body.get("error").textValue()).as("error for %s", c[0]).isEqualTo(c[3]);
    }
  }

  @Test
  void unknownPath_controlCharacters_escapedInError() throws Exception {
    // Jetty itself rejects %0A and %1B in a path, but lets a C1 control and U+2028 through.
    HttpResponse<String> response = send(get("/a%C2%9Bb%E2%80%A8c"));

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(response.body()).get("error").textValue()).isEqualTo(
        "no endpoint at /a\\u{009b}b\\u{2028}c; the endpoints are POST /v1/check,"
            + " GET /v1/policies and GET /healthz");
  }

  @Test
  void check_malformedJson_returns400WithPosition() throws Exception {
    HttpResponse<String> response = check("{\"policy\": \"window\",");

    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body.get("field").textValue()).isEqualTo("body");
    assertThat(body.get("error").textValue())
        .startsWith("request body is not valid JSON at line 1, column ");
  }

  @Test
  void check_duplicateField_returns400() throws Exception {
    HttpResponse<String> response =
        check("{\"policy\": \"window\", \"key\": \"a\", \"key\": \"b\"}");

    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body.get("field").textValue()).isEqualTo("body");
    assertThat(body.get("error").textValue())
        .startsWith("request body is not valid JSON")
        .contains("Duplicate field 'key'");
  }

  @Test
  void check_bodyAbove64KiB_returns400() throws Exception {
    String padding = "x".repeat(SluiceHandler.MAX_BODY_BYTES);
    String json = "{\"policy\": \"window\", \"key\": \"" + padding + "\"}";

    HttpResponse<String> response = check(json);

    // 65,536 bytes of padding plus 31 bytes of JSON around it.
    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body.get("field").textValue()).isEqualTo("body");
    assertThat(body.get("error").textValue())
        .isEqualTo("request body must be at most 65536 bytes, got 65567 bytes");
  }

  @Test
  void check_chunkedBodyAbove64KiB_returns400() throws Exception {
    byte[] json = ("{\"key\": \"" + "x".repeat(SluiceHandler.MAX_BODY_BYTES) + "\"}").getBytes();
    BodyPublisher chunked = BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(json));

    HttpResponse<String> response = send(post("/v1/check", chunked));

    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body.get("error").textValue())
        .isEqualTo("request body must be at most 65536 bytes, got more than 65536 bytes");
  }

  @Test
  void check_bodyOfExactly64KiB_isAccepted() throws Exception {
    String request = "{\"policy\": \"window\", \"key\": \"big\"}";
    String json = request + " ".repeat(SluiceHandler.MAX_BODY_BYTES - request.length());

    HttpResponse<String> response = check(json);

    assertThat(json.length()).isEqualTo(SluiceHandler.MAX_BODY_BYTES);
    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  void check_unknownPolicy_returns404ListingPolicies() throws Exception {
    HttpResponse<String> response = check("{\"policy\": \"nope\", \"key\": \"a\"}");

    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(body.get("field").textValue()).isEqualTo("policy");
    assertThat(body.get("error").textValue()).isEqualTo(
        "policy 'nope' not found; the loaded policies are window, bucket, shaped, hourly, api");
  }

  @Test
  void wrongMethod_eachEndpoint_returns405WithAllow() throws Exception {
    HttpResponse<String> getCheck = send(get("/v1/check"));
    HttpResponse<String> postPolicies =
        send(post("/v1/policies", BodyPublishers.ofString("{}")));
    HttpResponse<String> deleteHealth = send(request("/healthz").DELETE().build());

    assertThat(getCheck.statusCode()).isEqualTo(405);
    assertThat(getCheck.headers().firstValue("Allow")).hasValue("POST");
    assertThat(JSON.readTree(getCheck.body()).get("error").textValue())
        .isEqualTo("method GET is not allowed on /v1/check; use POST");
    assertThat(postPolicies.statusCode()).isEqualTo(405);
    assertThat(postPolicies.headers().firstValue("Allow")).hasValue("GET, HEAD");
    assertThat(deleteHealth.statusCode()).isEqualTo(405);
    assertThat(JSON.readTree(deleteHealth.body()).get("error").textValue())
        .isEqualTo("method DELETE is not allowed on /healthz; use GET");
  }

  @Test
  void unknownPath_returns404() throws Exception {
    HttpResponse<String> response = send(get("/v2/check"));

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(response.body()).get("error").textValue()).isEqualTo(
        "no endpoint at /v2/check; the endpoints are POST /v1/check, GET /v1/policies and"
            + " GET /healthz");
  }

  @Test
  void healthz_returnsOk() throws Exception {
    HttpResponse<String> response = send(get("/healthz"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"status\":\"ok\"}");
  }

  @Test
  void policies_listsEveryPolicyWithItsLimits() throws Exception {
    HttpResponse<String> response = send(get("/v1/policies"));

    JsonNode policies = JSON.readTree(response.body()).get("policies");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(policies).hasSize(5);
    JsonNode shaped = policies.get(2);
    assertThat(shaped.get("name").textValue()).isEqualTo("shaped");
    assertThat(shaped.get("limits").get(0)).isEqualTo(JSON.readTree(
        "{\"name\": \"5/1s\", \"algorithm\": \"leaky_bucket\", \"limit\": 5, \"period\": \"1s\","
            + " \"period_ms\": 1000, \"burst\": 10, \"mode\": \"shape\"}"));
    JsonNode api = policies.get(4);
    assertThat(api.get("limits")).hasSize(2);
    assertThat(api.get("limits").get(1)).isEqualTo(JSON.readTree(
        "{\"name\": \"per-hour\", \"algorithm\": \"fixed_window\", \"limit\": 1000,"
            + " \"period\": \"1h\", \"period_ms\": 3600000, \"burst\": 1000,"
            + " \"mode\": \"police\"}"));
  }

  @Test
  void check_textAfterTheObject_returns400AndChargesNothing() throws Exception {
    HttpResponse<String> response = check("{\"policy\": \"window\", \"key\": \"tail\"} x");
    HttpResponse<String> after = check("{\"policy\": \"window\", \"key\": \"tail\"}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(response.body()).get("field").textValue()).isEqualTo("body");
    // 5 per window: an untouched key has 4 left after this first charge.
    assertThat(JSON.readTree(after.body()).get("remaining").asLong()).isEqualTo(4);
  }

  @Test
  void check_whitespaceBody_returns400SayingEmpty() throws Exception {
    HttpResponse<String> response = check("   ");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(response.body()).get("error").textValue())
        .isEqualTo("request body is empty; expected a JSON object");
  }

  @Test
  void check_parserAdvice_isNotShownToClients() throws Exception {
    HttpResponse<String> response =
        check("{\"policy\": \"window\", \"key\": \"k\", \"cost\": NaN}");

    String error = JSON.readTree(response.body()).get("error").textValue();
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error).contains("Non-standard token 'NaN'");
    assertThat(error).doesNotContain("JsonReadFeature");
  }

  @Test
  void check_keyAbove1024Characters_returns400() throws Exception {
    String longKey = "k".repeat(1025);
    HttpResponse<String> response =
        check("{\"policy\": \"window\", \"key\": \"" + longKey + "\"}");
    HttpResponse<String> longest =
        check("{\"policy\": \"window\", \"key\": \"" + longKey.substring(1) + "\"}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(response.body()).get("error").textValue())
        .isEqualTo(
            "key must be at most 1024 characters, got 1025; hash longer identifiers first");
    assertThat(longest.statusCode()).isEqualTo(200);
  }

  @Test
  void check_keyOfEmoji_countsCodePoints() throws Exception {
    // U+1F600 is one code point and two UTF-16 units.
    String emoji = new String(Character.toChars(0x1F600));
    HttpResponse<String> atMost =
        check("{\"policy\": \"window\", \"key\": \"" + emoji.repeat(1024) + "\"}");
    HttpResponse<String> above =
        check("{\"policy\": \"window\", \"key\": \"" + emoji.repeat(1025) + "\"}");

    assertThat(atMost.statusCode()).isEqualTo(200);
    assertThat(above.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(above.body()).get("error").textValue())
        .isEqualTo(
            "key must be at most 1024 characters, got 1025; hash longer identifiers first");
  }

  @Test
  void check_policyAbove64Characters_returns400WithoutEchoingIt() throws Exception {
    String longName = "p".repeat(60_000);
    HttpResponse<String> response =
        check("{\"policy\": \"" + longName + "\", \"key\": \"a\"}");
    HttpResponse<String> longest =
        check("{\"policy\": \"" + "p".repeat(64) + "\", \"key\": \"a\"}");

    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body.get("field").textValue()).isEqualTo("policy");
    assertThat(body.get("error").textValue()).isEqualTo(
        "policy must be at most 64 characters, the longest policy name, got 60000");
    assertThat(longest.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(longest.body()).get("error").textValue())
        .startsWith("policy '" + "p".repeat(64) + "' not found");
  }

  @Test
  void check_bodyNotUtf8_returns400NamingTheEncoding() throws Exception {
    String json = "{\"policy\": \"window\", \"key\": \"caf\u00e9\"}";
    // {"policy": "window", "key": "caf is 1 + 8 + 2 + 8 + 2 + 5 + 2 + 1 + 3 = 32 bytes, so the
    // Latin-1 byte of é is at offset 32.
    Object[][] cases = {
        {json.getBytes(StandardCharsets.UTF_16BE),
            "request body must be UTF-8, got a NUL byte at byte offset 0; UTF-16 and UTF-32"
                + " are not accepted"},
        {json.getBytes(StandardCharsets.UTF_16LE),
            "request body must be UTF-8, got a NUL byte at byte offset 1; UTF-16 and UTF-32"
                + " are not accepted"},
        {json.getBytes(StandardCharsets.UTF_16),
            "request body must be UTF-8, got the byte order mark of UTF-16 or UTF-32"},
        {json.getBytes(StandardCharsets.ISO_8859_1),
            "request body must be UTF-8, got an invalid byte sequence at byte offset 32"},
    };
    for (Object[] c : cases) {
      HttpResponse<String> response = send(post("/v1/check", BodyPublishers.ofByteArray(
          (byte[]) c[0])));
      JsonNode body = JSON.readTree(response.body());
      assertThat(response.statusCode()).as("status for %s", c[1]).isEqualTo(400);
      assertThat(body.get("field").textValue()).as("field for %s", c[1]).isEqualTo("body");
      assertThat(body.get("error").textValue()).isEqualTo(c[1]);
    }
  }

  @Test
  void check_gzipBody_returns415NamingTheEncoding() throws Exception {
    java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gzipped)) {
      out.write("{\"policy\": \"window\", \"key\": \"gz\"}".getBytes(StandardCharsets.UTF_8));
    }
    HttpRequest request = request("/v1/check").header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .POST(BodyPublishers.ofByteArray(gzipped.toByteArray())).build();

    HttpResponse<String> response = send(request);

    assertThat(response.statusCode()).isEqualTo(415);
    assertThat(response.headers().firstValue("Accept-Encoding")).hasValue("identity");
    assertThat(JSON.readTree(response.body()).get("error").textValue()).isEqualTo(
        "Content-Encoding 'gzip' is not supported; send the body as uncompressed JSON, without"
            + " Content-Encoding");
  }

  @Test
  void check_identityEncoding_isAccepted() throws Exception {
    HttpRequest request = request("/v1/check").header("Content-Type", "application/json")
        .header("Content-Encoding", "identity")
        .POST(BodyPublishers.ofString("{\"policy\": \"window\", \"key\": \"id\"}")).build();

    assertThat(send(request).statusCode()).isEqualTo(200);
  }

  @Test
  void check_costOf5000Digits_returns400StatingTheLimit() throws Exception {
    HttpResponse<String> response =
        check("{\"policy\": \"window\", \"key\": \"n\", \"cost\": " + "7".repeat(5_000) + "}");

    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body.get("field").textValue()).isEqualTo("cost");
    assertThat(body.get("error").textValue())
        .startsWith("request body has a number of more than 1000 digits at line 1, column ")
        .contains(" in field 'cost'; expected a JSON object")
        .doesNotContain("StreamReadConstraints");
  }

  @Test
  void check_nested1001Deep_returns400StatingTheLimit() throws Exception {
    // The object is level 1 and 1,000 arrays make 1,001 levels, one more than allowed.
    String json = "{\"policy\": " + "[".repeat(1_000) + "]".repeat(1_000) + "}";

    HttpResponse<String> response = check(json);

    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body.get("field").textValue()).isEqualTo("policy");
    assertThat(body.get("error").textValue())
        .startsWith("request body is nested deeper than 1000 levels of arrays and objects at"
            + " line 1, column ")
        .contains(" in field 'policy'; expected a JSON object")
        .doesNotContain("StreamReadConstraints");
  }

  @Test
  void check_fieldNameBeyondParserLimit_namesNoOtherField() throws Exception {
    // Jackson's default limit on a name is 50,000 characters.
    String name = "f".repeat(50_001);

    HttpResponse<String> response =
        check("{\"policy\": \"window\", \"key\": \"u\", \"cost\": 1, \"" + name + "\": 1}");

    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body.get("field").textValue()).isEqualTo("body");
    assertThat(body.get("error").textValue()).isEqualTo("request body has a field name longer"
        + " than 50000 characters; expected the fields policy, key and cost");
  }

  @Test
  void check_unknownFieldOf500Chars_quotesItTruncated() throws Exception {
    String name = "f".repeat(500);

    HttpResponse<String> response =
        check("{\"policy\": \"window\", \"key\": \"u\", \"" + name + "\": 1}");

    // The first 100 characters, then the length of the whole name.
    String quoted = "f".repeat(100) + "\u2026 (500 characters)";
    JsonNode body = JSON.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(body.get("field").textValue()).isEqualTo(quoted);
    assertThat(body.get("error").textValue())
        .isEqualTo("unknown field '" + quoted + "'; expected policy, key and optionally cost");
  }

  @Test
  void check_unknownPolicyAmong25_lists20AndCountsTheRest() throws Exception {
    List<Policy> many = new ArrayList<>();
    for (int i = 1; i <= 25; i++) {
      many.add(Policy.of("p" + i, Limit.of(Algorithm.FIXED_WINDOW, 5, Duration.ofSeconds(10))));
    }
    SluiceServer crowded =
        SluiceServer.start(many, InMemoryStore.builder().timeSource(time).build(), "127.0.0.1", 0);
    try {
      URI uri = URI.create("http://127.0.0.1:" + crowded.port() + "/v1/check");
      HttpResponse<String> response = send(HttpRequest.newBuilder(uri)
          .POST(BodyPublishers.ofString("{\"policy\": \"nope\", \"key\": \"a\"}")).build());

      // p1 to p20 are listed; p21 to p25, five, are counted.
      assertThat(response.statusCode()).isEqualTo(404);
      assertThat(JSON.readTree(response.body()).get("error").textValue()).isEqualTo(
          "policy 'nope' not found; the loaded policies are p1, p2, p3, p4, p5, p6, p7, p8, p9,"
              + " p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20 and 5 more");
    } finally {
      crowded.stop();
    }
  }

  @Test
  void check_utf8ByteOrderMark_isIgnored() throws Exception {
    byte[] json = "\ufeff{\"policy\": \"window\", \"key\": \"bom\"}"
        .getBytes(StandardCharsets.UTF_8);

    HttpResponse<String> response = send(post("/v1/check", BodyPublishers.ofByteArray(json)));

    assertThat(response.statusCode()).isEqualTo(200);
  }

  /**
   * A new key at the key cap of a deny_new_keys store is denied with limit_name max_keys. Its
   * RateLimit item names the limit of the policy whose limit the body reports, so that the item
   * refers to one of RateLimit-Policy, with r=0 and t=1, the retry after.
   */
  @Test
  void check_newKeyAtKeyCap_namesPolicyLimitInRateLimit() throws Exception {
    Policy api = Policy.of("api",
        Limit.of(Algorithm.FIXED_WINDOW, 1000, Duration.ofHours(1)).withName("per-hour"),
        Limit.of(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(1)).withName("per-second"));
    InMemoryStore store = InMemoryStore.builder().timeSource(time).maxKeys(1)
        .atCapacity(AtCapacity.DENY_NEW_KEYS).build();
    SluiceServer capped = SluiceServer.start(List.of(api), store, "127.0.0.1", 0);
    try {
      URI uri = URI.create("http://127.0.0.1:" + capped.port() + "/v1/check");
      HttpResponse<String> first = send(HttpRequest.newBuilder(uri)
          .POST(BodyPublishers.ofString("{\"policy\": \"api\", \"key\": \"a\"}")).build());
      HttpResponse<String> second = send(HttpRequest.newBuilder(uri)
          .POST(BodyPublishers.ofString("{\"policy\": \"api\", \"key\": \"b\"}")).build());

      // A fresh key would keep 1 of per-second's 2 and 999 of per-hour's 1000, so per-second,
      // the limit with the fewest remaining, is the one the denial reports (limit 2).
      JsonNode body = JSON.readTree(second.body());
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(first.body()).get("allowed").booleanValue()).isTrue();
      assertThat(body.get("allowed").booleanValue()).isFalse();
      assertThat(body.get("limit_name").textValue()).isEqualTo("max_keys");
      assertThat(body.get("limit").longValue()).isEqualTo(2);
      assertThat(body.get("remaining").longValue()).isZero();
      assertThat(body.get("retry_after_ms").longValue()).isEqualTo(1000);
      assertThat(second.headers().firstValue("RateLimit-Policy"))
          .hasValue("\"per-hour\";q=1000;w=3600, \"per-second\";q=2;w=1");
      assertThat(second.headers().firstValue("RateLimit")).hasValue("\"per-second\";r=0;t=1");
      assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
    } finally {
      capped.stop();
    }
  }

  @Test
  void errorsOutsideTheApi_areJson() throws Exception {
    HttpResponse<String> response = send(get("/v1//check"));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JSON.readTree(response.body()).get("error").textValue())
        .startsWith("request rejected by the HTTP layer (400 Bad Request)");
  }

  @Test
  void healthz_head_returnsOk() throws Exception {
    HttpResponse<String> response =
        send(request("/healthz").method("HEAD", BodyPublishers.noBody()).build());

    assertThat(response.statusCode()).isEqualTo(200);
  }

  /**
   * A client that sends headers and then stalls in its body occupies no server thread, so more
   * stalled clients than the thread pool has threads (Jetty's default is 200) do not stop the
   * server from answering others.
   */
  @Test
  void check_manyClientsStalledInTheirBody_otherRequestsAreServed() throws Exception {
    List<java.net.Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 250; i++) {
        java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port());
        socket.getOutputStream().write(("POST /v1/check HTTP/1.1\r\nHost: localhost\r\n"
            + "Content-Length: 50\r\n\r\n{").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        stalled.add(socket);
      }
      HttpResponse<String> response = send(get("/healthz"));

      assertThat(response.statusCode()).isEqualTo(200);
    } finally {
      for (java.net.Socket socket : stalled) {
        socket.close();
      }
    }
  }

  private HttpResponse<String> check(String json) throws Exception {
    return send(post("/v1/check", BodyPublishers.ofString(json)));
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(30));
  }

  private HttpRequest get(String path) {
    return request(path).GET().build();
  }

  private HttpRequest post(String path, BodyPublisher body) {
    return request(path).header("Content-Type", "application/json").POST(body).build();
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return client.send(request, BodyHandlers.ofString());
  }
}
