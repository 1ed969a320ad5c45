package dev.sluice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.Decision.Source;
import org.junit.jupiter.api.Test;

class DecisionTest {

  @Test
  void allowAndDeny_byDefault_comeFromTheStore() {
    assertThat(Decision.allow("a", 10, 9, 5, 0).source()).isEqualTo(Source.STORE);
    assertThat(Decision.deny("a", 10, 0, 5, 7).source()).isEqualTo(Source.STORE);
  }

  @Test
  void withSource_failedOpen_keepsValuesAndChangesSource() {
    Decision decision = Decision.allow("a", 10, 0, 0, 0).withSource(Source.FAILED_OPEN);

    assertThat(decision.allowed()).isTrue();
    assertThat(decision.remaining()).isZero();
    assertThat(decision.limit()).isEqualTo(10);
    assertThat(decision.source()).isEqualTo(Source.FAILED_OPEN);
  }

  @Test
  void withSource_failedOpenWithRemaining_throws() {
    Decision normal = Decision.allow("a", 10, 9, 0, 0);

    assertThatThrownBy(() -> normal.withSource(Source.FAILED_OPEN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("a FAILED_OPEN decision must be allowed, or denied with NEVER,"
            + " with remaining, reset after and delay 0, got allowed[limit=a (10), remaining=9");
  }

  @Test
  void withSource_failedOpenOnNever_keepsDenial() {
    Decision never = Decision.deny("a", 10, 0, 0, Decision.NEVER);

    Decision failedOpen = never.withSource(Source.FAILED_OPEN);

    assertThat(failedOpen.allowed()).isFalse();
    assertThat(failedOpen.costExceedsLimit()).isTrue();
    assertThat(failedOpen.source()).isEqualTo(Source.FAILED_OPEN);
  }

  @Test
  void withSource_failedOpenOnDenial_throws() {
    Decision denial = Decision.deny("a", 10, 0, 0, 1);

    assertThatThrownBy(() -> denial.withSource(Source.FAILED_OPEN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void withSource_failedClosedOnAdmission_throws() {
    Decision admission = Decision.allow("a", 10, 0, 0, 0);

    assertThatThrownBy(() -> admission.withSource(Source.FAILED_CLOSED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("a FAILED_CLOSED decision must be a denial, got allowed[");
  }

  @Test
  void equals_differentSource_notEqual() {
    Decision store = Decision.deny("a", 10, 0, 0, 1);
    Decision failed = store.withSource(Source.FAILED_CLOSED);

    assertThat(failed).isNotEqualTo(store);
    assertThat(failed).isEqualTo(Decision.deny("a", 10, 0, 0, 1).withSource(Source.FAILED_CLOSED));
    assertThat(failed.hashCode())
        .isEqualTo(Decision.deny("a", 10, 0, 0, 1).withSource(Source.FAILED_CLOSED).hashCode());
  }

  @Test
  void toString_storeAndFallback_namesOnlyTheFallback() {
    Decision store = Decision.deny("a", 10, 0, 0, 1);

    assertThat(store.toString()).isEqualTo("denied[limit=a (10), remaining=0, resetAfterNanos=0,"
        + " retryAfterNanos=1, delayNanos=0]");
    assertThat(store.withSource(Source.LOCAL_FALLBACK).toString()).isEqualTo("denied[limit=a"
        + " (10), remaining=0, resetAfterNanos=0, retryAfterNanos=1, delayNanos=0,"
        + " source=LOCAL_FALLBACK]");
  }
}
