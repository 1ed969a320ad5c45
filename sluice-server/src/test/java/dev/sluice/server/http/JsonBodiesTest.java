package dev.sluice.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Decision;
import dev.sluice.Decision.Source;
import org.junit.jupiter.api.Test;

class JsonBodiesTest {

  @Test
  void decision_fromStore_hasNoFallbackField() {
    String body = JsonBodies.decision("api", Decision.allow("a", 10, 9, 0, 0));

    assertThat(body).doesNotContain("fallback");
  }

  @Test
  void decision_failedOpen_namesFallbackWithNothingRemaining() {
    Decision decision = Decision.allow("a", 10, 0, 0, 0).withSource(Source.FAILED_OPEN);

    String body = JsonBodies.decision("api", decision);

    assertThat(body).isEqualTo("{\"allowed\":true,\"policy\":\"api\",\"limit_name\":\"a\","
        + "\"limit\":10,\"remaining\":0,\"reset_after_ms\":0,\"retry_after_ms\":0,"
        + "\"delay_ms\":0,\"fallback\":\"failed_open\"}");
  }

  @Test
  void decision_failedClosedAndLocal_nameTheirFallback() {
    Decision closed = Decision.deny("a", 10, 0, 0, 1_000_000_000L)
        .withSource(Source.FAILED_CLOSED);
    Decision local = Decision.allow("a", 5, 4, 0, 0).withSource(Source.LOCAL_FALLBACK);

    assertThat(JsonBodies.decision("api", closed)).contains("\"fallback\":\"failed_closed\"");
    assertThat(JsonBodies.decision("api", local)).contains("\"fallback\":\"local_fallback\"");
  }
}
