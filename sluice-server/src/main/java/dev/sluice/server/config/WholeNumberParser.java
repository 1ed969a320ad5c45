package dev.sluice.server.config;

import java.math.BigInteger;

/**
 * The range check of whole numbers written in config files and on the command line, so that
 * both report a number out of range in the same words. Each caller checks the written form
 * itself, because a config file and a flag accept different forms.
 */
public final class WholeNumberParser {

  private WholeNumberParser() {}

  /**
   * Parses {@code text} as a whole number from {@code min} to {@code max}.
   *
   * @param text an optional sign and decimal digits, of a length the caller has bounded,
   *     because a number of a million digits takes seconds to parse
   * @param field what the value is for, named in the error message, such as {@code limit}
   * @throws IllegalArgumentException naming the field, the bound and the value, written without
   *     a {@code +} sign or leading zeros, when the number is below {@code min} or above
   *     {@code max}
   * @throws NumberFormatException if {@code text} is not an optional sign and decimal digits
   */
  public static long parse(String text, String field, long min, long max) {
    BigInteger value = new BigInteger(text);
    if (value.compareTo(BigInteger.valueOf(min)) < 0) {
      throw new IllegalArgumentException(field + " must be at least " + min + ", got " + value);
    }
    if (value.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new IllegalArgumentException(field + " must be at most " + max + ", got " + value);
    }
    return value.longValueExact();
  }
}
