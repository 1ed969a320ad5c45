package dev.sluice.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class ExactTest {

  private static final long MAX = Long.MAX_VALUE;

  @Test
  void mulDiv_productAbove2To63_isExact() {
    // 1e9 × 3.456e16 = 3.456e25 overflows a long; divided by 1e9 it fits again.
    assertThat(Exact.mulDiv(1_000_000_000L, 34_560_000_000_000_000L, 1_000_000_000L))
        .isEqualTo(34_560_000_000_000_000L);
  }

  @Test
  void mulDiv_resultAboveLongRange_saturates() {
    assertThat(Exact.mulDiv(MAX, MAX, 2)).isEqualTo(MAX);
  }

  @Test
  void mulDivCeil_sevenSecondsOverThree_roundsUp() {
    assertThat(Exact.mulDivCeil(1, 7_000_000_000L, 3)).isEqualTo(2_333_333_334L);
    assertThat(Exact.mulDivCeil(3, 7_000_000_000L, 3)).isEqualTo(7_000_000_000L);
  }

  @Test
  void mulAddDivCeil_sumOverflowingLong_isExact() {
    // (2^62 × 2 + 2^62) / 3 = 2^62.
    long twoTo62 = 1L << 62;
    assertThat(Exact.mulAddDivCeil(twoTo62, 2, twoTo62, 3)).isEqualTo(twoTo62);
    assertThat(Exact.mulAddDiv(twoTo62, 2, twoTo62 + 1, 3)).isEqualTo(twoTo62);
    assertThat(Exact.mulAddDivCeil(twoTo62, 2, twoTo62 + 1, 3)).isEqualTo(twoTo62 + 1);
  }

  @Test
  void compareProducts_beyondLongRange_ordersCorrectly() {
    assertThat(Exact.compareProducts(MAX, MAX, MAX, MAX - 1)).isPositive();
    assertThat(Exact.compareProducts(MAX, 2, 2, MAX)).isZero();
    assertThat(Exact.compareProducts(0, MAX, 1, 1)).isNegative();
  }

  @Test
  void saturatedAdd_overflow_returnsMax() {
    assertThat(Exact.saturatedAdd(MAX, 1)).isEqualTo(MAX);
    assertThat(Exact.saturatedAdd(MAX - 1, 1)).isEqualTo(MAX);
    assertThat(Exact.saturatedAdd(2, 3)).isEqualTo(5);
  }

  @Property
  void mulDiv_matchesBigInteger(
      @ForAll @LongRange(min = 0) long a,
      @ForAll @LongRange(min = 0) long b,
      @ForAll @LongRange(min = 1) long c) {
    assertThat(Exact.mulDiv(a, b, c)).isEqualTo(saturate(big(a).multiply(big(b)).divide(big(c))));
  }

  @Property
  void mulDivCeil_matchesBigInteger(
      @ForAll @LongRange(min = 0) long a,
      @ForAll @LongRange(min = 0) long b,
      @ForAll @LongRange(min = 1) long c) {
    assertThat(Exact.mulDivCeil(a, b, c)).isEqualTo(saturate(ceilDiv(big(a).multiply(big(b)), c)));
  }

  @Property
  void mulAddDiv_matchesBigInteger(
      @ForAll @LongRange(min = 0) long a,
      @ForAll @LongRange(min = 0) long b,
      @ForAll @LongRange(min = 0) long d,
      @ForAll @LongRange(min = 1) long c) {
    BigInteger sum = big(a).multiply(big(b)).add(big(d));

    assertThat(Exact.mulAddDiv(a, b, d, c)).isEqualTo(saturate(sum.divide(big(c))));
    assertThat(Exact.mulAddDivCeil(a, b, d, c)).isEqualTo(saturate(ceilDiv(sum, c)));
  }

  @Property
  void mulMod_matchesBigInteger(
      @ForAll @LongRange(min = 0) long a,
      @ForAll @LongRange(min = 0) long b,
      @ForAll @LongRange(min = 1) long c) {
    assertThat(Exact.mulMod(a, b, c)).isEqualTo(big(a).multiply(big(b)).mod(big(c)).longValue());
  }

  @Property
  void compareProducts_matchesBigInteger(
      @ForAll @LongRange(min = 0) long a,
      @ForAll @LongRange(min = 0) long b,
      @ForAll @LongRange(min = 0) long c,
      @ForAll @LongRange(min = 0) long d) {
    int expected = big(a).multiply(big(b)).compareTo(big(c).multiply(big(d)));

    assertThat(Integer.signum(Exact.compareProducts(a, b, c, d))).isEqualTo(expected);
  }

  private static BigInteger big(long value) {
    return BigInteger.valueOf(value);
  }

  private static BigInteger ceilDiv(BigInteger dividend, long divisor) {
    BigInteger[] qr = dividend.divideAndRemainder(big(divisor));
    return qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
  }

  private static long saturate(BigInteger value) {
    return value.compareTo(big(MAX)) > 0 ? MAX : value.longValueExact();
  }
}
