package dev.sluice.server.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StableOrderTest {

  @Test
  void byTime_outOfOrder_sortsByTime() {
    long[] times = {30, 10, 20};

    assertThat(StableOrder.byTime(times, 3)).containsExactly(1, 2, 0);
  }

  @Test
  void byTime_equalTimes_keepIndexOrder() {
    long[] times = {5, 3, 5, 3, 5};

    assertThat(StableOrder.byTime(times, 5)).containsExactly(1, 3, 0, 2, 4);
  }

  @Test
  void byTime_countBelowArrayLength_ignoresRest() {
    long[] times = {2, 1, 0, 0};

    assertThat(StableOrder.byTime(times, 2)).containsExactly(1, 0);
  }

  @Test
  void byTime_manyTies_matchesListSort() {
    // Long enough for the merge path; few distinct times so that ties are everywhere.
    Random random = new Random(42);
    int count = 20_000;
    long[] times = new long[count];
    for (int i = 0; i < count; i++) {
      times[i] = i / 50 + random.nextInt(30);
    }
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      expected.add(i);
    }
    expected.sort(Comparator.comparingLong((Integer i) -> times[i]));

    int[] order = StableOrder.byTime(times, count);

    assertThat(order).containsExactly(expected.stream().mapToInt(Integer::intValue).toArray());
  }
}
