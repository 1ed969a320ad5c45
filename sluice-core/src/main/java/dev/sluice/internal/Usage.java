package dev.sluice.internal;

/**
 * How much of its limits one key has taken at a moment: the largest share of a limit's
 * capacity in use, {@code used / capacity}, and when the key is back to its initial state.
 * Forgetting a key gives it back its used units, so a store at its key cap evicts the key with
 * the least usage, the one that loses the fewest units. Usages order by share, compared
 * exactly, then by the earlier reset.
 *
 * @param used the units in use of the limit with the largest share
 * @param capacity that limit's burst, its limit for a window algorithm; at least 1
 * @param resetAt when every limit is back to its initial state, in nanoseconds
 */
public record Usage(long used, long capacity, long resetAt) implements Comparable<Usage> {

  @Override
  public int compareTo(Usage other) {
    int byShare = compareShares(used, capacity, other.used, other.capacity);
    return byShare != 0 ? byShare : Long.compare(resetAt, other.resetAt);
  }

  /**
   * Compares {@code a / b} with {@code c / d} for non-negative numerators and positive
   * denominators, as {@code a · d} against {@code c · b}, so that no share is rounded.
   */
  private static int compareShares(long a, long b, long c, long d) {
    return Exact.compareProducts(a, d, c, b);
  }
}
