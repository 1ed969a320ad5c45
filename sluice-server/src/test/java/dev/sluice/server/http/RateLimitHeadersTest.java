package dev.sluice.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.Algorithm;
import dev.sluice.Decision;
import dev.sluice.Limit;
import dev.sluice.Policy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimitHeadersTest {

  @Test
  void rateLimit_zeroRemainingAndZeroReset_writesBothZeros() {
    assertThat(RateLimitHeaders.rateLimit("5/10s", 0, 0)).isEqualTo("\"5/10s\";r=0;t=0");
  }

  @Test
  void rateLimit_keyCapDenial_namesLimitWithSameQuota() {
    Policy policy = Policy.of("api",
        Limit.of(Algorithm.FIXED_WINDOW, 1000, Duration.ofHours(1)).withName("per-hour"),
        Limit.of(Algorithm.TOKEN_BUCKET, 2, Duration.ofSeconds(1)).withName("per-second"));
    Decision keyCap = Decision.deny("max_keys", 2, 0, 0, 1_000_000_000L);

    assertThat(RateLimitHeaders.rateLimit(policy, keyCap)).isEqualTo("\"per-second\";r=0;t=1");
  }

  @Test
  void policy_localFallback_listsDecidingLimitWithItsShare() {
    Policy policy = Policy.of("api",
        Limit.of(Algorithm.FIXED_WINDOW, 1000, Duration.ofHours(1)).withName("per-hour"),
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withName("per-second"));
    // 10 per second shared by 3 instances is ceil(10 / 3) = 4 on this one.
    Decision local = Decision.allow("per-second", 4, 3, 250_000_000L, 0)
        .withSource(Decision.Source.LOCAL_FALLBACK);

    assertThat(RateLimitHeaders.policy(policy, local, RateLimitHeaders.policy(policy)))
        .isEqualTo("\"per-second\";q=4;w=1");
  }

  @Test
  void policy_storeDecision_listsEveryLimit() {
    Policy policy = Policy.of("api",
        Limit.of(Algorithm.FIXED_WINDOW, 1000, Duration.ofHours(1)).withName("per-hour"),
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withName("per-second"));
    Decision stored = Decision.allow("per-second", 10, 9, 100_000_000L, 0);

    assertThat(RateLimitHeaders.policy(policy, stored, RateLimitHeaders.policy(policy)))
        .isEqualTo("\"per-hour\";q=1000;w=3600, \"per-second\";q=10;w=1");
  }

  @Test
  void policy_limitFiveAtTenSeconds_writesQuotaAndWindow() {
    Policy policy = Policy.of("p", Limit.of(Algorithm.FIXED_WINDOW, 5, Duration.ofSeconds(10)));

    assertThat(RateLimitHeaders.policy(policy)).isEqualTo("\"5/10s\";q=5;w=10");
  }

  @Test
  void policy_twoLimits_listsBothInOrder() {
    Policy policy = Policy.of("api",
        Limit.of(Algorithm.TOKEN_BUCKET, 10, Duration.ofSeconds(1)).withName("per-second"),
        Limit.of(Algorithm.FIXED_WINDOW, 1000, Duration.ofHours(1)).withName("per-hour"));

    assertThat(RateLimitHeaders.policy(policy))
        .isEqualTo("\"per-second\";q=10;w=1, \"per-hour\";q=1000;w=3600");
  }

  @Test
  void policy_periodNotWholeSeconds_leavesOutWindow() {
    Policy policy = Policy.of("p", Limit.of(Algorithm.GCRA, 3, Duration.ofMillis(1500)));

    assertThat(RateLimitHeaders.policy(policy)).isEqualTo("\"3/1500ms\";q=3");
  }

  @Test
  void policy_limitAboveFifteenDigits_clampsToLargestInteger() {
    Policy policy = Policy.of("p",
        Limit.of(Algorithm.FIXED_WINDOW, Limit.MAX_UNITS, Duration.ofDays(1)).withName("huge"));

    assertThat(RateLimitHeaders.policy(policy)).isEqualTo("\"huge\";q=999999999999999;w=86400");
  }

  @Test
  void rateLimit_partialSecond_roundsResetUp() {
    // 1.2 s until reset: a client that waits 1 s would retry too early.
    assertThat(RateLimitHeaders.rateLimit("x", 3, 1_200_000_000L)).isEqualTo("\"x\";r=3;t=2");
  }

  @Test
  void retryAfter_roundsUpAndNeverWritesZero() {
    assertThat(RateLimitHeaders.retryAfter(0)).isEqualTo("1");
    assertThat(RateLimitHeaders.retryAfter(1)).isEqualTo("1");
    assertThat(RateLimitHeaders.retryAfter(1_000_000_000L)).isEqualTo("1");
    assertThat(RateLimitHeaders.retryAfter(1_000_000_001L)).isEqualTo("2");
    assertThat(RateLimitHeaders.retryAfter(10_000_000_000L)).isEqualTo("10");
  }
}
