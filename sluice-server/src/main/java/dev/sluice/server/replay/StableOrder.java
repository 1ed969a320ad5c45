package dev.sluice.server.replay;

/**
 * Stable sort of indices by a {@code long} key, without boxing and with one scratch array.
 * Merge sort keeps equal keys in index order.
 */
final class StableOrder {

  /** Below this length a run is sorted by insertion, which is faster on short runs. */
  private static final int INSERTION_THRESHOLD = 32;

  private StableOrder() {}

  /**
   * Returns the indices {@code 0..count-1} ordered by {@code keys[i]}, equal keys in index
   * order.
   */
  static int[] byTime(long[] keys, int count) {
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    if (isSorted(keys, count)) {
      return order;
    }
    mergeSort(keys, order, new int[count], 0, count);
    return order;
  }

  private static boolean isSorted(long[] keys, int count) {
    for (int i = 1; i < count; i++) {
      if (keys[i] < keys[i - 1]) {
        return false;
      }
    }
    return true;
  }

  /** Sorts {@code order[from..to)} using {@code scratch} of the same length. */
  private static void mergeSort(long[] keys, int[] order, int[] scratch, int from, int to) {
    if (to - from <= INSERTION_THRESHOLD) {
      insertionSort(keys, order, from, to);
      return;
    }
    int middle = (from + to) >>> 1;
    mergeSort(keys, order, scratch, from, middle);
    mergeSort(keys, order, scratch, middle, to);
    if (keys[order[middle - 1]] <= keys[order[middle]]) {
      return;
    }
    merge(keys, order, scratch, from, middle, to);
  }

  private static void merge(
      long[] keys, int[] order, int[] scratch, int from, int middle, int to) {
    System.arraycopy(order, from, scratch, from, to - from);
    int left = from;
    int right = middle;
    for (int out = from; out < to; out++) {
      boolean takeLeft =
          right >= to || (left < middle && keys[scratch[left]] <= keys[scratch[right]]);
      order[out] = takeLeft ? scratch[left++] : scratch[right++];
    }
  }

  private static void insertionSort(long[] keys, int[] order, int from, int to) {
    for (int i = from + 1; i < to; i++) {
      int index = order[i];
      long key = keys[index];
      int j = i - 1;
      while (j >= from && keys[order[j]] > key) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = index;
    }
  }
}
