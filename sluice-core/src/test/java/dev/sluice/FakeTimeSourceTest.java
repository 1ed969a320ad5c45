package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FakeTimeSourceTest {

  @Test
  void start_isWholeDaysSinceEpoch() {
    assertThat(FakeTimeSource.START_NANOS % Duration.ofDays(1).toNanos()).isZero();
  }

  @Test
  void sleepNanos_advancesTimeWithoutBlocking() {
    FakeTimeSource time = new FakeTimeSource();

    time.sleepNanos(5_000_000_000L);

    assertThat(time.sinceStartNanos()).isEqualTo(5_000_000_000L);
  }

  @Test
  void sleepNanos_ignoresZeroAndNegative() {
    FakeTimeSource time = new FakeTimeSource();

    time.sleepNanos(0);
    time.sleepNanos(-3);

    assertThat(time.sinceStartNanos()).isZero();
  }

  @Test
  void setSinceStart_setsAbsoluteOffset() {
    FakeTimeSource time = new FakeTimeSource();
    time.advance(Duration.ofSeconds(9));

    time.setSinceStart(Duration.ofMillis(1_500));

    assertThat(time.nanos()).isEqualTo(FakeTimeSource.START_NANOS + 1_500_000_000L);
  }
}
