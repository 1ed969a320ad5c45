package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LimitTest {

  private static final Duration SECOND = Duration.ofSeconds(1);

  @Test
  void of_limitZero_rejectedNamingValue() {
    // Sluice rejects a limit of 0 instead of reading it as "never refill" or "unlimited".
    assertThatThrownBy(() -> Limit.of(Algorithm.TOKEN_BUCKET, 0, SECOND))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit must be at least 1, got 0");
  }

  @Test
  void of_negativeLimit_rejected() {
    assertThatThrownBy(() -> Limit.of(Algorithm.FIXED_WINDOW, -5, SECOND))
        .hasMessage("limit must be at least 1, got -5");
  }

  @Test
  void withBurst_negative_rejected() {
    Limit limit = Limit.of(Algorithm.TOKEN_BUCKET, 1, SECOND);

    assertThatThrownBy(() -> limit.withBurst(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("burst must be at least 1, got -1");
  }

  @Test
  void withBurst_zero_rejected() {
    Limit limit = Limit.of(Algorithm.GCRA, 1, SECOND);

    assertThatThrownBy(() -> limit.withBurst(0)).hasMessage("burst must be at least 1, got 0");
  }

  @Test
  void of_periodZero_rejected() {
    assertThatThrownBy(() -> Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("period must be at least 1ms, got 0ms");
  }

  @Test
  void of_negativePeriod_rejected() {
    assertThatThrownBy(() -> Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofSeconds(-1)))
        .hasMessage("period must be at least 1ms, got -1s");
  }

  @Test
  void of_periodBelowOneMillisecond_rejected() {
    assertThatThrownBy(() -> Limit.of(Algorithm.GCRA, 1, Duration.ofNanos(999_999)))
        .hasMessage("period must be at least 1ms, got 999999ns");
  }

  @Test
  void of_periodAboveTenYears_rejected() {
    assertThatThrownBy(() -> Limit.of(Algorithm.FIXED_WINDOW, 1, Duration.ofDays(3_651)))
        .hasMessage("period must be at most 3650d, got 3651d");
  }

  @Test
  void of_limitAboveMaxUnits_rejected() {
    assertThatThrownBy(() -> Limit.of(Algorithm.TOKEN_BUCKET, Limit.MAX_UNITS + 1, SECOND))
        .hasMessage("limit must be at most 2305843009213693951, got 2305843009213693952");
  }

  @Test
  void of_extremesWithinBounds_accepted() {
    Limit fast = Limit.of(Algorithm.TOKEN_BUCKET, Limit.MAX_UNITS, Duration.ofMillis(1));
    Limit slow = Limit.of(Algorithm.GCRA, Limit.MAX_UNITS, Duration.ofDays(365));

    assertThat(fast.burst()).isEqualTo(Limit.MAX_UNITS);
    assertThat(slow.periodNanos()).isEqualTo(365L * 86_400 * 1_000_000_000L);
  }

  @Test
  void withBurst_recoveryLongerThanCentury_rejected() {
    Limit limit = Limit.of(Algorithm.TOKEN_BUCKET, 1, Duration.ofDays(3_650));

    assertThatThrownBy(() -> limit.withBurst(11))
        .hasMessage("burst 11 at 1 per 3650d takes longer than 36500d to recover;"
            + " lower the burst or raise the limit");
  }

  @Test
  void withBurst_onWindowAlgorithm_rejected() {
    Limit limit = Limit.of(Algorithm.SLIDING_WINDOW, 10, SECOND);

    assertThatThrownBy(() -> limit.withBurst(20))
        .hasMessage("burst applies only to token_bucket, leaky_bucket and gcra, but"
            + " sliding_window was given burst 20 with limit 10");
  }

  @Test
  void withMode_shapeOnTokenBucket_rejected() {
    Limit limit = Limit.of(Algorithm.TOKEN_BUCKET, 10, SECOND);

    assertThatThrownBy(() -> limit.withMode(Mode.SHAPE))
        .hasMessage("mode shape applies only to leaky_bucket, but the algorithm is token_bucket");
  }

  @Test
  void of_slidingLogAboveMaxLimit_rejected() {
    assertThatThrownBy(() -> Limit.of(Algorithm.SLIDING_LOG, 100_001, SECOND))
        .hasMessage("limit of a sliding_log must be at most 100000, got 100001;"
            + " use sliding_window for large limits");
  }

  @Test
  void of_defaultName_isLimitPerPeriod() {
    assertThat(Limit.of(Algorithm.GCRA, 10, SECOND).name()).isEqualTo("10/1s");
    assertThat(Limit.of(Algorithm.GCRA, 5, Duration.ofMinutes(1)).name()).isEqualTo("5/1m");
  }

  @Test
  void withName_withSpace_rejected() {
    Limit limit = Limit.of(Algorithm.GCRA, 10, SECOND);

    assertThatThrownBy(() -> limit.withName("per second"))
        .hasMessageStartingWith("limit name must be printable ASCII without spaces")
        .hasMessageEndingWith("got 'per second'");
  }

  @Test
  void withName_controlCharacters_quotedEscaped() {
    Limit limit = Limit.of(Algorithm.GCRA, 10, SECOND);

    assertThatThrownBy(() -> limit.withName("a\nb\u001b[31m\\c\u2028d"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit name must be printable ASCII without spaces, quotes, backslashes,"
            + " commas or semicolons, got 'a\\x0ab\\x1b[31m\\\\c\\u{2028}d'");
  }

  @Test
  void withName_tooLongWithLineBreak_quotedEscaped() {
    Limit limit = Limit.of(Algorithm.GCRA, 10, SECOND);

    assertThatThrownBy(() -> limit.withName("x".repeat(64) + "\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("limit name must be 1 to 64 characters, got 65: '" + "x".repeat(64)
            + "\\x0a'");
  }

  @Test
  void withName_empty_rejected() {
    Limit limit = Limit.of(Algorithm.GCRA, 10, SECOND);

    assertThatThrownBy(() -> limit.withName(""))
        .hasMessage("limit name must be 1 to 64 characters, got 0: ''");
  }

  @Test
  void withName_keyCapName_rejected() {
    Limit limit = Limit.of(Algorithm.GCRA, 10, SECOND);

    assertThatThrownBy(() -> limit.withName("max_keys"))
        .hasMessage("limit name 'max_keys' is reserved for denials at the in-memory store's key"
            + " cap; choose another name");
  }

  @Test
  void fromConfigName_unknown_listsAcceptedNames() {
    assertThatThrownBy(() -> Algorithm.fromConfigName("leaky"))
        .hasMessage("unknown algorithm 'leaky', expected one of fixed_window, sliding_log,"
            + " sliding_window, token_bucket, leaky_bucket, gcra");
  }

  @Test
  void fromConfigName_controlCharacters_escapedInMessage() {
    assertThatThrownBy(() -> Algorithm.fromConfigName("gcra\r\n"))
        .hasMessageStartingWith("unknown algorithm 'gcra\\x0d\\x0a', expected one of ");
    assertThatThrownBy(() -> Mode.fromConfigName("shape\u0000"))
        .hasMessage("unknown mode 'shape\\x00', expected police or shape");
    assertThatThrownBy(() -> Mode.fromConfigName(null))
        .hasMessage("unknown mode 'null', expected police or shape");
  }

  @Test
  void policyOf_twoLimitsSameName_rejected() {
    Limit limit = Limit.of(Algorithm.GCRA, 10, SECOND);

    assertThatThrownBy(() -> Policy.of("api", limit, limit))
        .hasMessage("policy 'api' has two limits named '10/1s'; give each limit its own name");
  }

  @Test
  void policyOf_nullLimit_namesIndex() {
    Limit limit = Limit.of(Algorithm.GCRA, 10, SECOND);

    assertThatThrownBy(() -> Policy.of("api", (Limit) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("limits must not contain null, got null at index 0");
    assertThatThrownBy(() -> Policy.of("api", limit, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("limits must not contain null, got null at index 1");
    assertThatThrownBy(() -> new Policy("api", Arrays.asList(limit, null)))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("limits must not contain null, got null at index 1");
  }

  @Test
  void policyOf_nullArray_namesLimits() {
    assertThatThrownBy(() -> Policy.of("api", (Limit[]) null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("limits");
  }

  @Test
  void policyOf_noLimits_rejected() {
    assertThatThrownBy(() -> Policy.of("api"))
        .hasMessage("policy 'api' must have at least one limit");
  }

  @Test
  void policyOf_nameWithControlCharacters_escaped() {
    Limit limit = Limit.of(Algorithm.GCRA, 10, SECOND);

    assertThatThrownBy(() -> Policy.of("api\nWARN forged"))
        .hasMessage("policy 'api\\x0aWARN forged' must have at least one limit");
    assertThatThrownBy(() -> Policy.of("a\u001b[31mpi", limit, limit))
        .hasMessage("policy 'a\\x1b[31mpi' has two limits named '10/1s';"
            + " give each limit its own name");
  }
}
