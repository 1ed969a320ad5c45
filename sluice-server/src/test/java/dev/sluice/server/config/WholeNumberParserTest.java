package dev.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WholeNumberParserTest {

  @Test
  void parse_bounds_areAccepted() {
    assertThat(WholeNumberParser.parse("1", "limit", 1, 10)).isEqualTo(1);
    assertThat(WholeNumberParser.parse("10", "limit", 1, 10)).isEqualTo(10);
  }

  @Test
  void parse_fullLongRange_isAccepted() {
    assertThat(WholeNumberParser.parse("-9223372036854775808", "n", Long.MIN_VALUE,
        Long.MAX_VALUE)).isEqualTo(Long.MIN_VALUE);
    assertThat(WholeNumberParser.parse("9223372036854775807", "n", Long.MIN_VALUE,
        Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void parse_belowMin_namesFieldAndBound() {
    assertThatThrownBy(() -> WholeNumberParser.parse("0", "burst", 1, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("burst must be at least 1, got 0");
  }

  @Test
  void parse_aboveMax_namesFieldAndBound() {
    assertThatThrownBy(() -> WholeNumberParser.parse("11", "burst", 1, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("burst must be at most 10, got 11");
  }

  @Test
  void parse_beyondLong_isReportedAgainstTheBound() {
    // 2^64 = 18446744073709551616 is above every long.
    assertThatThrownBy(() -> WholeNumberParser.parse("18446744073709551616", "limit", 1, 10))
        .hasMessage("limit must be at most 10, got 18446744073709551616");
    assertThatThrownBy(() -> WholeNumberParser.parse("-18446744073709551616", "limit", 1, 10))
        .hasMessage("limit must be at least 1, got -18446744073709551616");
  }

  @Test
  void parse_leadingPlusAndZeros_notEchoed() {
    assertThatThrownBy(() -> WholeNumberParser.parse("+011", "limit", 1, 10))
        .hasMessage("limit must be at most 10, got 11");
  }
}
