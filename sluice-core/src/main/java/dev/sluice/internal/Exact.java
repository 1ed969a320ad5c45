package dev.sluice.internal;

import java.math.BigInteger;

/**
 * Integer arithmetic with a 128-bit intermediate product, so that rates such as 3 units per 7
 * seconds are computed exactly, without floating point and without overflow.
 *
 * <p>Every method takes non-negative operands and a positive divisor. A result too large for a
 * {@code long} saturates at {@link Long#MAX_VALUE}; callers treat that as "longer than any
 * limit can matter". The common case, a product below 2<sup>63</sup>, takes one multiply and one
 * divide; only larger products take the slow {@link BigInteger} path.
 */
public final class Exact {

  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private Exact() {}

  /** Returns {@code floor(a · b / c)}. */
  public static long mulDiv(long a, long b, long c) {
    long high = Math.multiplyHigh(a, b);
    long low = a * b;
    if (high == 0 && low >= 0) {
      return low / c;
    }
    return saturate(BigInteger.valueOf(a).multiply(BigInteger.valueOf(b))
        .divide(BigInteger.valueOf(c)));
  }

  /** Returns {@code ceil(a · b / c)}. */
  public static long mulDivCeil(long a, long b, long c) {
    return mulAddDivCeil(a, b, 0, c);
  }

  /** Returns {@code floor((a · b + d) / c)}. */
  public static long mulAddDiv(long a, long b, long d, long c) {
    long high = Math.multiplyHigh(a, b);
    long low = a * b;
    if (high == 0 && low >= 0 && low <= Long.MAX_VALUE - d) {
      return (low + d) / c;
    }
    return saturate(wide(a, b, d).divide(BigInteger.valueOf(c)));
  }

  /** Returns {@code ceil((a · b + d) / c)}. */
  public static long mulAddDivCeil(long a, long b, long d, long c) {
    long high = Math.multiplyHigh(a, b);
    long low = a * b;
    if (high == 0 && low >= 0 && low <= Long.MAX_VALUE - d) {
      long sum = low + d;
      long quotient = sum / c;
      return quotient * c == sum ? quotient : quotient + 1;
    }
    BigInteger[] quotientAndRemainder = wide(a, b, d).divideAndRemainder(BigInteger.valueOf(c));
    BigInteger quotient = quotientAndRemainder[0];
    if (quotientAndRemainder[1].signum() != 0) {
      quotient = quotient.add(BigInteger.ONE);
    }
    return saturate(quotient);
  }

  /**
   * Returns {@code (a · b) mod c}, for splitting {@code a · b / c} into a whole part and a
   * remainder.
   */
  public static long mulMod(long a, long b, long c) {
    long high = Math.multiplyHigh(a, b);
    long low = a * b;
    if (high == 0 && low >= 0) {
      return low % c;
    }
    return BigInteger.valueOf(a).multiply(BigInteger.valueOf(b))
        .mod(BigInteger.valueOf(c)).longValueExact();
  }

  /** Compares {@code a · b} with {@code c · d}, returning a negative, zero or positive number. */
  public static int compareProducts(long a, long b, long c, long d) {
    long leftHigh = Math.multiplyHigh(a, b);
    long rightHigh = Math.multiplyHigh(c, d);
    if (leftHigh != rightHigh) {
      return Long.compare(leftHigh, rightHigh);
    }
    return Long.compareUnsigned(a * b, c * d);
  }

  /** Returns {@code a + b}, or {@link Long#MAX_VALUE} if that overflows; both non-negative. */
  public static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }

  private static BigInteger wide(long a, long b, long d) {
    return BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)).add(BigInteger.valueOf(d));
  }

  private static long saturate(BigInteger value) {
    return value.compareTo(LONG_MAX) > 0 ? Long.MAX_VALUE : value.longValue();
  }
}
